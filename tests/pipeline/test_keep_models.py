"""``keep_models``: all, the best seed on validation, or none; pruned models are recorded in
DONE.json, and a later run whose policy needs a pruned model retrains that student only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tokendistill.errors import DeployError
from tokendistill.inference.predict import predict
from tokendistill.kept.export import export
from tokendistill.kept.manifest import read_manifest
from tokendistill.runtime.files import read_jsonl

from .helpers import run_in_process, small_config

SEEDS = [0, 1]


def _config(run_dir: Path, policy: str) -> dict[str, Any]:
    config = small_config(run_dir, student="tiny-seq2seq")
    config.update(seeds=SEEDS, keep_models=policy, students=config["students"][:1])
    config["attribution"]["methods"] = ["saliency"]
    return config


def _index(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "models.json").read_text())


def _student_runs(computed: list[str]) -> list[str]:
    return [label for label in computed if label.startswith("students/")]


@pytest.fixture(scope="module")
def best_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("keep") / "run"
    result, _ = run_in_process(_config(run_dir, "best"))
    assert _student_runs(result.computed) == ["students/standard-seed0", "students/standard-seed1"]
    return run_dir


def test_best_keeps_only_the_best_seed_on_validation(best_run: Path) -> None:
    index = _index(best_run)
    entries = index["students"]
    assert index["keep_models"] == "best" and [e["seed"] for e in entries] == SEEDS
    valid = [e["valid_accuracy"] for e in entries]
    best = valid.index(max(valid))
    assert [e["best_seed"] for e in entries] == [i == best for i in range(len(SEEDS))]
    assert [e["model"] is not None for e in entries] == [i == best for i in range(len(SEEDS))]
    (pruned_done,) = [
        json.loads(p.read_text()) for p in best_run.glob("students/*/DONE.json") if "pruned" in p.read_text()
    ]
    assert pruned_done["pruned"] == ["model"] and pruned_done["pruned_reasons"] == {
        "model": "keep_models: best"
    }
    assert len(list(best_run.glob("students/*/model"))) == 1


def test_a_kept_seq2seq_student_predicts_its_recorded_test_answers(best_run: Path) -> None:
    (entry,) = [e for e in _index(best_run)["students"] if e["model"]]
    folder = best_run / entry["model"]
    assert read_manifest(folder).architecture == "seq2seq"
    result = predict(folder, split="test")
    recorded = read_jsonl(folder.parent / "test_predictions.jsonl")
    assert [p.to_record() for p in result.predictions] == recorded
    assert result.accuracy == entry["test_accuracy"]


def test_a_pruned_seed_cannot_be_exported(best_run: Path, tmp_path: Path) -> None:
    (pruned,) = [e for e in _index(best_run)["students"] if e["model"] is None]
    with pytest.raises(DeployError, match=rf"seed {pruned['seed']} was not kept \(keep_models: best\)"):
        export(best_run, "standard", seed=pruned["seed"], to=tmp_path / "m")


def test_policies_prune_and_retrain_only_what_they_need(best_run: Path, tmp_path: Path) -> None:
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(best_run, run_dir)
    pruned = next(e["seed"] for e in _index(run_dir)["students"] if e["model"] is None)
    before = json.loads((run_dir / "metrics.json").read_text())["students"]

    result, _ = run_in_process(_config(run_dir, "all"))
    assert _student_runs(result.computed) == [f"students/standard-seed{pruned}"]
    assert all(e["model"] for e in _index(run_dir)["students"])
    assert json.loads((run_dir / "metrics.json").read_text())["students"] == before

    result, _ = run_in_process(_config(run_dir, "none"))
    assert _student_runs(result.computed) == []
    assert [e["model"] for e in _index(run_dir)["students"]] == [None, None]
    assert not list(run_dir.glob("students/*/model"))

    result, _ = run_in_process(_config(run_dir, "best"))
    best = next(e["seed"] for e in _index(run_dir)["students"] if e["best_seed"])
    assert _student_runs(result.computed) == [f"students/standard-seed{best}"]
    assert [e["model"] is not None for e in _index(run_dir)["students"]] == [s == best for s in SEEDS]
