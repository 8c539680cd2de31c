"""The whole pipeline on tiny models: it completes, a re-run computes nothing, and a run
killed (SIGKILL) during attribution or during student training resumes to the same metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tokendistill.pipeline import PipelineResult
from tokendistill.training import checkpoints as training_checkpoints

from .helpers import (
    CHUNK,
    N_TRAIN,
    assert_same_metrics_as,
    comparable_metrics,
    run_and_kill,
    run_in_process,
    small_config,
    write_config,
)

STAGES = [
    "prepare/synthetic",
    "teacher/tiny-causal",
    "attribute/saliency-train",
    "attribute/random-train",
    "students/standard-seed0",
    "students/ours-saliency-seed0",
    "analyze/rationales",
    "report/report",
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], PipelineResult]:
    """One uninterrupted run, shared by the tests below."""
    config = small_config(tmp_path_factory.mktemp("baseline") / "run")
    result, _ = run_in_process(config)
    return config, result


def test_run_writes_report_and_metrics(baseline: tuple[dict[str, Any], PipelineResult]) -> None:
    _, result = baseline
    assert result.computed == STAGES
    assert result.skipped == []
    assert result.report_path == result.run_dir / "report.html"
    assert "<html" in result.report_path.read_text().lower()
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert [s["name"] for s in metrics["students"]] == ["standard", "ours-saliency"]
    assert all(s["n_test"] == 32 and len(s["test_accuracy"]) == 1 for s in metrics["students"])
    assert {row["method"] for row in metrics["overlap"]} == {"saliency", "random"}
    assert [row["examples"] for row in metrics["faithfulness"]] == [8, 8]
    assert set(metrics["stage_seconds"]) == set(STAGES[:-1])
    # Finished stages leave no resumable state behind.
    assert not list(result.run_dir.glob("*/*.work"))


def test_second_run_computes_nothing(baseline: tuple[dict[str, Any], PipelineResult]) -> None:
    config, first = baseline
    before = (first.run_dir / "metrics.json").read_bytes()
    result, printed = run_in_process(config)
    assert result.computed == []
    assert result.skipped == STAGES
    assert "cached" in printed
    assert (result.run_dir / "metrics.json").read_bytes() == before


def test_resume_after_kill_during_attribution(
    baseline: tuple[dict[str, Any], PipelineResult], tmp_path: Path
) -> None:
    config = small_config(tmp_path / "run")
    run_dir = Path(config["run_dir"])
    # Killed as the third part file is published: two parts of the first method are complete.
    parts = "attribute/*.work/parts/part-*.parquet"
    run_and_kill(write_config(config, tmp_path / "config.yaml"), run_dir, parts, count=3)

    assert not list(run_dir.glob("attribute/*/DONE.json")), "killed after attribution had finished"
    (work,) = run_dir.glob("attribute/*.work")
    assert work.name.startswith("saliency-train-")
    assert len(list(work.glob("parts/part-*.parquet"))) == 2
    left = N_TRAIN - 2 * CHUNK

    result, printed = run_in_process(config)
    assert result.skipped == ["prepare/synthetic", "teacher/tiny-causal"]
    assert result.computed == STAGES[2:]
    # Only the examples without a part file were attributed again.
    progress = re.findall(r"saliency/train: (\d+)/(\d+)", printed)
    assert {int(total) for _, total in progress} == {left}
    assert_same_metrics_as(baseline[1].run_dir, run_dir)


def test_resume_after_kill_during_student_training(
    baseline: tuple[dict[str, Any], PipelineResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = small_config(tmp_path / "run")
    # A checkpoint at every evaluation, improved or not, so that the second one surely exists.
    config["student_training"]["checkpoints"] = "every_eval"
    run_dir = Path(config["run_dir"])
    checkpoints = "students/ours-saliency-seed0-*.work/train/checkpoints"
    # Killed as the second checkpoint's trainer_state.json (written last) is opened: the first
    # checkpoint is complete, the second half-written, which resuming must skip.
    state = f"{checkpoints}/checkpoint-*/trainer_state.json"
    run_and_kill(write_config(config, tmp_path / "config.yaml"), run_dir, state, count=2)

    assert not list(run_dir.glob("students/ours-saliency-seed0-*/DONE.json"))
    (folder,) = run_dir.glob(checkpoints)
    assert sorted(_step(c) for c in folder.glob("checkpoint-*")) == [2, 4]
    assert [_readable_state(folder / f"checkpoint-{step}") for step in (2, 4)] == [True, False]

    resumed_from: list[str | None] = []

    def spy(resume: bool | str | None, checkpoint_dir: str) -> str | None:
        resumed_from.append(point := resume_point(resume, checkpoint_dir))
        return point

    resume_point = training_checkpoints.resume_point
    monkeypatch.setattr(training_checkpoints, "resume_point", spy)
    result, _ = run_in_process(config)

    assert result.computed == ["students/ours-saliency-seed0", "analyze/rationales", "report/report"]
    assert resumed_from == [str(folder / "checkpoint-2")]
    got, want = comparable_metrics(run_dir), comparable_metrics(baseline[1].run_dir)
    assert "checkpoints: every_eval" in got.pop("config_text") and "every_eval" not in want.pop("config_text")
    assert got == want  # checkpoints at every evaluation or where validation improves: the same run


def _step(checkpoint: Path) -> int:
    return int(checkpoint.name.rsplit("-", 1)[1])


def _readable_state(checkpoint: Path) -> bool:
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return True


def test_seq2seq_teacher_and_students(tmp_path: Path) -> None:
    config = small_config(tmp_path / "run", teacher="tiny-seq2seq", student="tiny-seq2seq")
    result, _ = run_in_process(config)
    assert [s.replace("seq2seq", "causal") for s in result.computed] == STAGES
    metrics = comparable_metrics(result.run_dir)
    assert [s["name"] for s in metrics["students"]] == ["standard", "ours-saliency"]
    assert metrics["teacher"]["model"] == "tiny-seq2seq"
    assert (result.run_dir / "report.html").is_file()
