"""Splitting, trimming and notes of the DSS loading pipeline on tiny files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tokendistill.tasks import TaskConfig, load_task
from tokendistill.tasks.splits import holdout, holdout_indices


@pytest.mark.parametrize(
    ("n", "fraction", "seed"), [(10, 0.1, 0), (9741, 0.1, 0), (800, 0.1, 0), (57, 0.25, 3)]
)
def test_holdout_is_datasets_train_test_split(n: int, fraction: float, seed: int) -> None:
    train, valid = holdout_indices(n, fraction, seed)
    order = np.random.default_rng(seed).permutation(n)  # what datasets does internally
    n_valid = math.ceil(fraction * n)
    assert valid == order[:n_valid].tolist() and train == order[n_valid:].tolist()


def test_holdout_edge_cases() -> None:
    assert holdout(list("abc"), 0.0, 0) == (list("abc"), [])
    with pytest.raises(ValueError, match=r"cannot hold out 0\.5 of 1 rows"):
        holdout(["a"], 0.5, 0)


def test_cqa_hold_out_split_and_sizes(dss_dir: Path) -> None:
    task, data = load_task(TaskConfig(name="cqa", data_dir=dss_dir))
    assert task.name == data.task == "cqa"
    assert data.sizes() == {"train": 9, "valid": 1, "test": 3}
    assert sorted(e.meta["row"] for e in data.train + data.valid) == list(range(10))
    assert any("held out from cqa_train.json" in note for note in data.notes)
    _, again = load_task(TaskConfig(name="cqa", data_dir=dss_dir))
    assert again.train == data.train
    _, other_seed = load_task(TaskConfig(name="cqa", data_dir=dss_dir, split_seed=1))
    assert [e.id for e in other_seed.train] != [e.id for e in data.train]


def test_max_examples_are_taken_after_splitting(dss_dir: Path) -> None:
    _, full = load_task(TaskConfig(name="svamp", data_dir=dss_dir))
    _, small = load_task(TaskConfig(name="svamp", data_dir=dss_dir, max_examples={"train": 4, "test": 1}))
    assert small.train == full.train[:4] and small.valid == full.valid and small.test == full.test[:1]
    assert any("train trimmed from 9 to the first 4" in note for note in small.notes)
    assert "svamp: train 4, valid 1, test 1" in small.summary()


def test_anli_normal_layout_when_train_file_exists(dss_dir: Path) -> None:
    rows = [{"uid": f"t{i}", "premise": "P.", "hypothesis": "H.", "label": 1} for i in range(5)]
    (dss_dir / "anli1" / "anli1_train.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, full = load_task(TaskConfig(name="anli1", data_dir=dss_dir, train_from="train"))
    assert full.sizes() == {"train": 5, "valid": 10, "test": 4}
    assert not any("small-data" in note for note in full.notes)
    _, small = load_task(TaskConfig(name="anli1", data_dir=dss_dir))
    assert small.sizes() == {"train": 9, "valid": 1, "test": 4}
    assert any("anli1_train.json exists but is unused" in note for note in small.notes)


def test_esnli_has_its_own_valid_and_a_note_on_the_train_subset(dss_dir: Path) -> None:
    _, data = load_task(TaskConfig(name="esnli", data_dir=dss_dir))
    assert data.sizes() == {"train": 6, "valid": 3, "test": 3}
    assert data.label_set == ("entailment", "neutral", "contradiction")
    assert [e.id for e in data.train] == [f"esnli/train/{i}" for i in range(6)]
    assert any("e-SNLI train = its first 10,000 rows" in note for note in data.notes)
