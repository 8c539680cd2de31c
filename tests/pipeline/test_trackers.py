"""The run's tracker run holds the pipeline's own figures (stage times, analyses, the final
accuracy table, the same numbers as metrics.json) with every training as a run grouped under
it; read back offline: TensorBoard event files, an MLflow file store where mlflow is installed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import run_in_process, small_config

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def events(folder: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def text(accumulator: EventAccumulator, tag: str) -> str:
    """What ``SummaryWriter.add_text(tag, ...)`` stored."""
    return accumulator.Tensors(f"{tag}/text_summary")[0].tensor_proto.string_val[0].decode()


def scalar(accumulator: EventAccumulator, tag: str) -> float:
    (event,) = accumulator.Scalars(tag)
    return event.value


def tracked_config(run_dir: Path, report_to: str, name: str) -> dict:
    return {**small_config(run_dir), "tracking": {"report_to": report_to, "run_name": name}}


def test_tensorboard_holds_the_final_accuracy_table_and_groups_the_trainings(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_in_process(tracked_config(run_dir, "tensorboard", "first"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    root = run_dir / "tensorboard" / "first"
    pipeline = events(root / "pipeline")
    table = text(pipeline, "accuracy")
    for student in metrics["students"]:
        name = student["name"]
        assert scalar(pipeline, f"accuracy/{name}") == pytest.approx(student["mean"])
        assert scalar(pipeline, f"accuracy_ci95_low/{name}") == pytest.approx(student["ci95"][0])
        assert scalar(pipeline, f"accuracy_ci95_high/{name}") == pytest.approx(student["ci95"][1])
        assert f"| {name} |" in table
    assert scalar(pipeline, "accuracy/teacher") == pytest.approx(metrics["teacher"]["test_accuracy"])
    row = metrics["faithfulness"][0]
    comprehensiveness = f"analysis/faithfulness/{row['method']}/k={row['k']}/comprehensiveness"
    assert scalar(pipeline, comprehensiveness) == pytest.approx(row["comprehensiveness"])
    assert any(tag.startswith("seconds/attribute/saliency") for tag in pipeline.Tags()["scalars"])
    assert "Faithfulness to the teacher" in text(pipeline, "analysis")
    # Each training is a run of its own beside the pipeline's, as the Trainer's callback logs it.
    trainings = sorted(p.name for p in (root / "train").iterdir())
    assert trainings == ["ours-saliency-seed0", "standard-seed0", "teacher"]
    for training in trainings:
        assert events(root / "train" / training).Scalars("eval/accuracy")

    # One tracker run per `tokendistill run`: a second, all cached, logs the same table again.
    run_in_process(tracked_config(run_dir, "tensorboard", "second"))
    again = events(run_dir / "tensorboard" / "second" / "pipeline")
    for student in metrics["students"]:
        assert scalar(again, f"accuracy/{student['name']}") == pytest.approx(student["mean"])
    assert not (run_dir / "tensorboard" / "second" / "train").exists()  # nothing was trained


def test_mlflow_nests_the_trainings_under_the_run_that_holds_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a file store: offline, nothing to serve
    run_dir = tmp_path / "run"
    run_in_process(tracked_config(run_dir, "mlflow", "tracked"))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    client = mlflow.MlflowClient()
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    (parent,) = [r for r in runs if r.info.run_name == "tracked"]
    nested = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    children = {r.info.run_name: r for r in nested}
    assert sorted(children) == ["ours-saliency-seed0", "standard-seed0", "teacher"]
    assert all("eval_accuracy" in child.data.metrics for child in children.values())
    assert parent.info.status == "FINISHED"
    for student in metrics["students"]:
        name = student["name"]
        assert parent.data.metrics[f"accuracy/{name}"] == pytest.approx(student["mean"])
        assert parent.data.metrics[f"accuracy_ci95_high/{name}"] == pytest.approx(student["ci95"][1])
    table = mlflow.artifacts.load_text(f"{parent.info.artifact_uri}/accuracy.md")
    assert all(f"| {s['name']} |" in table for s in metrics["students"])
