"""Hold a run directory's lock: ``python hold_lock.py RUN_DIR``. Prints "locked" once it
holds it, then waits until killed (the test kills it, gently or with SIGKILL)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tokendistill.runtime.lock import run_lock

if __name__ == "__main__":
    with run_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        while True:
            time.sleep(1)
