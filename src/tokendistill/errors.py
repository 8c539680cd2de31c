"""The root of every error a user can fix by changing what they gave the tool.

A config key, a data row, a model spec, a run directory: each error type for these derives
from ``InputError`` and states the problem in one line that names the file, line and field
(or key). The command line prints an ``InputError`` as it is; anything else is a bug or a
failure of the environment, and gets a log file with its traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tokendistill import __version__


class InputError(ValueError):
    """A problem with the user's input, stated in one line that says where and what to do."""


def crash_log(err: BaseException, folder: Path | None = None) -> Path | None:
    """Write ``err``'s traceback into a new log file, under ``folder/logs`` when ``folder``
    is an existing folder, else in the system's temporary folder; its path (None when
    nothing could be written)."""
    name = f"tokendistill-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = "".join(
        [
            f"tokendistill {__version__}, python {sys.version.split()[0]}\n",
            f"command: {' '.join(sys.argv)}\n\n",
            *traceback.format_exception(type(err), err, err.__traceback__),
        ]
    )
    candidates = [folder / "logs"] if folder is not None and folder.is_dir() else []
    for base in [*candidates, Path(tempfile.gettempdir())]:
        try:
            base.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(text, encoding="utf-8")
        except OSError:
            continue
        return base / name
    return None


def one_line(err: BaseException, limit: int = 300) -> str:
    """The exception's message on one line (whitespace collapsed, cut at ``limit``)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
