"""How the command line reports failures: one line per problem, never a traceback.

Every ``InputError`` (a bad config value, data row, model spec, run directory) is printed
as it is, one line (a config with several invalid values: one line for each), with exit
status 2. Anything else is a bug or a failure of the environment: one line naming it, plus
the path of a log file that holds its traceback, with exit status 1. Ctrl-C prints
"interrupted" (exit status 130). A command that has loaded a config registers it
(``loaded``), so an error found later still names the config file and line of the value at
fault, and a crash log goes to the run directory when there is one.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from tokendistill import __version__

if TYPE_CHECKING:
    from tokendistill.config import Config
    from tokendistill.config_io import SourceMap

# Errors go to stderr, unwrapped: one message stays one line however narrow the terminal.
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class _Invocation:
    """What the running command has loaded: where config values came from, the run directory."""

    source: SourceMap | None = None
    run_dir: Path | None = None


_current = _Invocation()


def loaded(config: Config) -> Config:
    """Register the config the running command loaded (see the module docstring)."""
    _current.source, _current.run_dir = config.source, Path(config.run_dir)
    return config


def fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def crash(err: BaseException, folder: Path | None = None) -> NoReturn:
    """An unexpected failure: one line, and its traceback in a log file."""
    log = crash_log(err, folder)
    where = f" (traceback in {log})" if log else ""
    err_console.print(f"[red]error:[/red] unexpected {type(err).__name__}: {escape(one_line(err) + where)}")
    raise typer.Exit(code=1)


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


F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """``command`` with every failure reported in one line (see the module docstring)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from tokendistill.config_io import ConfigError
        from tokendistill.errors import InputError

        _current.source = _current.run_dir = None
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ConfigError as err:
            fail(str(_current.source.locate(err) if _current.source else err))
        except InputError as err:
            fail(str(err))
        except KeyboardInterrupt:
            err_console.print("[red]interrupted[/red]")
            raise typer.Exit(code=130) from None
        except Exception as err:
            crash(err, _current.run_dir)

    return wrapper  # type: ignore[return-value]
