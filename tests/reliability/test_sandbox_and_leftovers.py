"""The run directory is a sandbox, a failed stage leaves no empty work folder behind, and an
unexpected failure is one line plus a log file holding its traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

import tokendistill.pipeline
from tokendistill.runtime.context import RunContext, UnsafePath

from .helpers import Case, invoke


def context(run_dir: Path) -> RunContext:
    return RunContext(run_dir, Console(file=io.StringIO()))


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "/abs", "", "x" * 201])
def test_artifact_names_are_one_plain_folder(tmp_path: Path, name: str) -> None:
    ctx = context(tmp_path / "run")
    with pytest.raises(UnsafePath, match="is not a plain name"):
        ctx.artifact("stage", name, {})
    with pytest.raises(UnsafePath, match="is not a plain name"):
        ctx.artifact(name, "thing", {})


def test_a_stage_folder_linked_out_of_the_run_directory_is_refused(tmp_path: Path) -> None:
    run_dir, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run_dir.mkdir()
    elsewhere.mkdir()
    (run_dir / "stage").symlink_to(elsewhere)
    with pytest.raises(
        UnsafePath, match=f"resolves to {elsewhere}/thing-.*, outside the run directory {run_dir}"
    ):
        context(run_dir).artifact("stage", "thing", {})


def test_a_failed_stage_removes_its_empty_work_folder_and_keeps_a_resumable_one(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    empty, resumable = ctx.artifact("stage", "empty", {}), ctx.artifact("stage", "resumable", {})

    def fail_at_once(_out: Path, _work: Path) -> None:
        raise RuntimeError("bad")

    def fail_after_a_part(_out: Path, work: Path) -> None:
        (work / "part-0").write_text("done")
        raise RuntimeError("bad")

    with pytest.raises(RuntimeError):
        ctx.build(resumable, fail_after_a_part)
    with pytest.raises(RuntimeError):
        ctx.build(empty, fail_at_once)
    assert [p.name for p in (tmp_path / "stage").iterdir()] == [resumable.work_dir.name]
    assert (resumable.work_dir / "part-0").read_text() == "done"
    (resumable.work_dir / "part-0").unlink()
    with pytest.raises(RuntimeError):
        ctx.build(resumable, fail_at_once)
    assert not (tmp_path / "stage").exists()


def test_an_unexpected_failure_is_one_line_and_a_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody expected\nover two lines")

    monkeypatch.setattr(tokendistill.pipeline, "run_prepare", broken)
    world, args = Case("base", "").build(tmp_path)
    world.run.mkdir()  # a run directory of earlier runs: the log goes there (else to the temp folder)
    code, _, stderr = invoke(args)
    (line,) = stderr.splitlines()
    prefix = "error: unexpected RuntimeError: something nobody expected over two lines (traceback in "
    assert code == 1 and line.startswith(prefix) and line.endswith(".log)")
    log = Path(line.removeprefix(prefix).removesuffix(")"))
    assert log.parent == world.run / "logs"
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: something nobody expected" in text
    # Nothing else is in the run directory: no stage completed, and no empty work folder.
    assert sorted(p.name for p in world.run.iterdir()) == [".tokendistill.lock", "logs"]
