"""One run per run directory: an operating-system file lock held for the whole run.

Two runs writing into one run directory would write into the same work folders. The lock
is ``filelock``'s (``flock`` on POSIX), which the kernel releases when its process dies, so
the lock of a killed run is never stale: the next run takes it at once. A second run on a
held directory fails at once, naming the holder from the small JSON note the holder keeps
next to the lock (pid, host, start time, command).

Only the process that writes the run's artifacts takes the lock (``run_lock``), so a
launcher that starts several processes can let the main one call it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from tokendistill.errors import InputError
from tokendistill.runtime.files import atomic_write_json

LOCK = ".tokendistill.lock"
HOLDER = ".tokendistill.lock.json"


class RunLocked(InputError):
    """The run directory is held by another live run."""


class RunDirError(InputError):
    """The run directory cannot be created or written."""


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir`` for the block: create it if needed, lock it, note the holder.

    Raises ``RunLocked`` naming the holder when another run holds it. Folders this call
    created are removed again when the block leaves nothing in them (a run that failed
    before writing anything leaves no trace).
    """
    created = _make_dirs(run_dir)
    lock = FileLock(str(run_dir / LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RunLocked(
            f"{run_dir} is in use by another tokendistill run ({describe_holder(run_dir)}); "
            "wait for it to finish or choose another run_dir"
        ) from None
    try:
        atomic_write_json(run_dir / HOLDER, _holder())
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            (run_dir / HOLDER).unlink()
        lock.release()
        _remove_if_unused(created, run_dir)


def describe_holder(run_dir: Path) -> str:
    """ "pid 123 on host, started ..." from the holder's note, as far as it can be read."""
    try:
        holder = json.loads((run_dir / HOLDER).read_text(encoding="utf-8"))
        return f"pid {holder['pid']} on {holder['host']}, started {holder['started']}: {holder['command']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its process id is not recorded yet"


def _holder() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }


def _make_dirs(run_dir: Path) -> list[Path]:
    """Create ``run_dir`` and missing parents; the folders created, deepest first."""
    missing = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunDirError(f"run_dir {run_dir}: cannot create it ({err.strerror})") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise RunDirError(f"run_dir {run_dir}: not writable")
    return missing


def _remove_if_unused(created: list[Path], run_dir: Path) -> None:
    if not created or [p.name for p in run_dir.iterdir()] != [LOCK]:
        return
    (run_dir / LOCK).unlink()
    for folder in created:
        with contextlib.suppress(OSError):
            folder.rmdir()
