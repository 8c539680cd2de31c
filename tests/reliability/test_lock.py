"""One run per run directory: a second run fails at once (without waiting) naming the holder, the lock of a
killed run is taken over, and a run that fails early leaves its run directory as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from filelock import FileLock

from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import run_pipeline
from tokendistill.runtime import lock as lock_module
from tokendistill.runtime.lock import HOLDER, LOCK, RunLocked, run_lock

from .helpers import Case, invoke

HOLD_LOCK = Path(__file__).with_name("hold_lock.py")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """Another process holding ``tmp_path / "run"``."""
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, str(HOLD_LOCK), str(run_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "locked\n"
        yield process, run_dir
    finally:
        process.kill()
        process.wait()


def _config(tmp_path: Path) -> Config:
    world, _ = Case("base", "").build(tmp_path)
    return validate_config(yaml.safe_load(world.config.read_text()), Config)


class RecordingLock(FileLock):
    """The run lock, recording how long each acquisition was allowed to wait."""

    waits: ClassVar[list[float]] = []

    def acquire(self, timeout: float | None = None, *args: Any, **kwargs: Any) -> Any:
        self.waits.append(self.timeout if timeout is None else timeout)
        return super().acquire(timeout, *args, **kwargs)


def test_a_second_run_fails_at_once_naming_the_holder(
    holder: tuple[subprocess.Popen, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process, run_dir = holder
    config = _config(tmp_path)
    monkeypatch.setattr(lock_module, "FileLock", RecordingLock)
    RecordingLock.waits.clear()
    with pytest.raises(RunLocked) as err:
        run_pipeline(config, until="prepare")
    assert RecordingLock.waits == [0]  # one try that does not wait for the holder
    message = str(err.value)
    assert message.startswith(f"{run_dir} is in use by another tokendistill run (pid {process.pid} on ")
    assert message.endswith(f"hold_lock.py {run_dir}); wait for it to finish or choose another run_dir")
    # The holder's files are untouched and nothing else was written.
    assert sorted(p.name for p in run_dir.iterdir()) == [LOCK, HOLDER]


def test_the_cli_says_so_in_one_line(holder: tuple[subprocess.Popen, Path], tmp_path: Path) -> None:
    process, run_dir = holder
    _, args = Case("base", "").build(tmp_path)
    code, _, stderr = invoke(args)
    assert code == 2
    (line,) = stderr.splitlines()
    assert line.startswith(f"error: {run_dir} is in use by another tokendistill run (pid {process.pid} on ")


def test_the_lock_of_a_killed_run_is_taken_over(
    holder: tuple[subprocess.Popen, Path], tmp_path: Path
) -> None:
    process, run_dir = holder
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (run_dir / HOLDER).is_file()  # the killed holder's note is left behind
    result = run_pipeline(_config(tmp_path), until="prepare")
    assert result.computed == ["prepare/mine"]
    assert not (run_dir / HOLDER).exists()


def test_the_lock_is_released_after_a_run_and_after_a_failure(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(RuntimeError), run_lock(run_dir):
        raise RuntimeError("a stage failed")
    assert not run_dir.exists()  # created for the run, and left empty: removed again
    with run_lock(run_dir):
        (run_dir / "kept").write_text("x")
    with run_lock(run_dir), pytest.raises(RunLocked), run_lock(run_dir):  # held here: refused too
        pass
    assert sorted(p.name for p in run_dir.iterdir()) == [LOCK, "kept"]
