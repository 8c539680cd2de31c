"""``export`` of the demo's best ours-saliency seed, then ``predict`` on the copy: the recorded
test predictions and accuracy come back; Hub uploads go through ``HfApi`` or fail in one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, ClassVar

import huggingface_hub.constants
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tokendistill.cli import app
from tokendistill.deploy import hub
from tokendistill.deploy.errors import DeployError
from tokendistill.deploy.export import export
from tokendistill.deploy.predict import predict
from tokendistill.runtime.files import read_jsonl
from tokendistill.tasks import load_task

from .helpers import student_entry


@pytest.fixture(scope="module")
def exported(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI's export of ours-saliency (no seed given: the best on validation)."""
    to = tmp_path_factory.mktemp("export") / "ours-saliency"
    result = CliRunner().invoke(app, ["export", str(demo_run), "--student", "ours-saliency", "--to", str(to)])
    assert result.exit_code == 0, result.output
    return to


def test_export_copies_the_best_seed_with_its_card(
    exported: Path, demo_run: Path, demo_index: dict[str, Any]
) -> None:
    source = demo_run / student_entry(demo_index, "ours-saliency")["model"]
    names = sorted(p.name for p in source.iterdir())
    assert sorted(p.name for p in exported.iterdir()) == names
    assert {"README.md", "tokendistill.json", "model.safetensors", "generation_config.json"} <= set(names)
    assert (exported / "README.md").read_text() == (source / "README.md").read_text()


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


def test_export_errors_are_one_line(demo_run: Path, tmp_path: Path, exported: Path) -> None:
    runner = CliRunner()
    cases = {
        ("--student", "nobody"): "no student 'nobody'; students: [",
        ("--student", "ours-saliency", "--seed", "7"): "has no seed 7; seeds: [0]",
        ("--student", "ours-saliency", "--seed", "0", "--best"): "give --seed or --best, not both",
    }
    for extra, message in cases.items():
        result = runner.invoke(app, ["export", str(demo_run), *extra, "--to", str(tmp_path / "x")])
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(DeployError, match="already exists"):
        export(demo_run, "ours-saliency", to=exported)
    with pytest.raises(DeployError, match=r"models\.json: not found"):
        export(tmp_path, "ours-saliency", to=tmp_path / "y")


class StandInHub:
    """Records what would have been sent to the Hub."""

    calls: ClassVar[list[tuple[str, dict]]] = []

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def create_repo(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs: Any) -> Any:
        self.calls.append(
            ("upload_folder", {**kwargs, "files": sorted(p.name for p in kwargs["folder_path"].iterdir())})
        )
        return type("Commit", (), {"commit_url": f"https://huggingface.co/{kwargs['repo_id']}/commit/1"})()


def test_push_to_hub_creates_the_repo_and_uploads_the_folder(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StandInHub.calls = []
    monkeypatch.setattr(hub, "HfApi", StandInHub)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # the stand-in needs none
    to = tmp_path / "model"
    args = [
        "export",
        str(demo_run),
        "--student",
        "standard",
        "--to",
        str(to),
        "--push-to-hub",
        "me/demo-student",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (create, kwargs), (upload, sent) = StandInHub.calls
    assert (create, kwargs) == (
        "create_repo",
        {"repo_id": "me/demo-student", "private": None, "exist_ok": True},
    )
    assert upload == "upload_folder" and sent["repo_id"] == "me/demo-student" and sent["folder_path"] == to
    assert {"README.md", "tokendistill.json", "model.safetensors"} <= set(sent["files"])


def test_push_to_hub_offline_is_one_clear_line(demo_run: Path, tmp_path: Path) -> None:
    args = [
        "export",
        str(demo_run),
        "--student",
        "standard",
        "--to",
        str(tmp_path / "m"),
        "--push-to-hub",
        "me/x",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: cannot upload to me/x: HF_HUB_OFFLINE is set; unset it where there is network"
    )


def test_push_to_an_unreachable_hub_is_one_clear_line(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    # Nothing listens on the discard port: the connection is refused at once, network or not.
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(
        DeployError, match=r"^could not reach the Hugging Face Hub to upload me/x; check the network"
    ):
        export(demo_run, "standard", to=tmp_path / "m", push_to_hub="me/x")


def _test_rows(exported: Path) -> list[dict[str, str]]:
    from tokendistill.deploy.manifest import read_manifest

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
