"""``predict`` on an ``export`` of the demo's best ours-saliency seed: the recorded test
predictions and accuracy come back, from a task split, a file of rows or plain texts."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from demo_models import student_entry
from tokendistill.api import export
from tokendistill.cli import app
from tokendistill.inference.predict import predict
from tokendistill.kept.manifest import read_manifest
from tokendistill.runtime.files import read_jsonl
from tokendistill.tasks import load_task


@pytest.fixture(scope="module")
def exported(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export of ours-saliency (no seed given: the best on validation)."""
    return export(demo_run, "ours-saliency", to=tmp_path_factory.mktemp("export") / "ours-saliency")


def test_predict_on_the_export_gives_the_recorded_test_accuracy(
    exported: Path, demo_run: Path, demo_index: dict[str, Any], tmp_path: Path, demo_config
) -> None:
    out, config = tmp_path / "predictions.jsonl", tmp_path / "demo.yaml"
    config.write_text(json.dumps(demo_config(demo_run)), encoding="utf-8")  # the run's config (JSON is YAML)
    args = ["predict", str(exported), "--config", str(config), "--split", "test", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    entry = student_entry(demo_index, "ours-saliency")
    recorded = read_jsonl(demo_run / entry["model"] / ".." / "test_predictions.jsonl")
    assert f"accuracy {100 * entry['test_accuracy']:.2f} %" in result.stdout
    assert read_jsonl(out) == recorded


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_predict_reads_a_file_of_rows(
    exported: Path, demo_run: Path, demo_index: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    """Rows of a file, formatted by the model's own task: the recorded answers come back."""
    rows = _test_rows(exported)[:24]
    path = _write_rows(rows, tmp_path / f"rows{suffix}")
    result = predict(exported, path, out=tmp_path / "out.jsonl")
    entry = student_entry(demo_index, "ours-saliency")
    recorded = {r["id"]: r for r in read_jsonl(demo_run / entry["model"] / ".." / "test_predictions.jsonl")}
    assert [p.to_record() for p in result.predictions] == [recorded[r["id"]] for r in rows]
    assert result.accuracy == sum(recorded[r["id"]]["correct"] for r in rows) / len(rows)
    assert read_jsonl(tmp_path / "out.jsonl") == [recorded[r["id"]] for r in rows]


def test_predict_plain_texts_without_labels(exported: Path) -> None:
    rows = _test_rows(exported)[:3]
    result = predict(exported, [r["text"] for r in rows])
    assert not result.labelled and result.accuracy is None
    assert result.records()[0].keys() == {"id", "prediction"}
    labels = json.loads((exported / "tokendistill.json").read_text())["label_set"]
    assert all(p.prediction in labels for p in result.predictions)


def _test_rows(exported: Path) -> list[dict[str, str]]:
    _, data = load_task(read_manifest(exported).task)
    return [{"id": ex.id, "text": ex.text, "label": ex.label} for ex in data.test]


def _write_rows(rows: list[dict[str, str]], path: Path) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif path.suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path
