"""``tokendistill ARGS...`` in a process that kills itself (SIGKILL) at a chosen point.

Usage: ``python killing_run.py PATTERN COUNT ARGS...``. The process dies the moment it is
about to publish the COUNT-th file whose path matches the glob PATTERN: an atomic rename into
place (attribution parts) or an open for writing (a Trainer checkpoint's trainer_state.json,
written last). So the kill lands at the same point of the run every time, however fast the
machine is, and COUNT - 1 matching files are complete when it does. Python's audit hooks see
both events without any hook in the project's code. Runs under ``accelerate launch`` too:
every rank counts its own files.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import sys


def kill_at(pattern: str, count: int) -> None:
    seen = 0

    def hook(event: str, args: tuple) -> None:
        nonlocal seen
        if event == "os.rename":
            path = args[1]
        elif event == "open" and isinstance(args[1], str) and "w" in args[1]:
            path = args[0]
        else:
            return
        if isinstance(path, (str, os.PathLike)) and fnmatch.fnmatch(os.fspath(path), pattern):
            seen += 1
            if seen == count:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)


if __name__ == "__main__":
    kill_at(sys.argv[1], int(sys.argv[2]))
    from tokendistill.cli import app

    app(sys.argv[3:], prog_name="tokendistill")
