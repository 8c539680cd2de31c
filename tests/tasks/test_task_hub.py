"""The `source: hub` path, with `datasets.load_dataset` monkeypatched to read local files."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest

from tokendistill.tasks import DataError, TaskConfig, load_task

HUB_FILES = {
    ("cos_e", "v1.11"): {"train": "cqa/cqa_train.json", "validation": "cqa/cqa_test.json"},
    ("anli", None): {"train_r1": "anli1/anli1_valid.json", "dev_r1": "anli1/anli1_valid.json",
                     "test_r1": "anli1/anli1_test.json"},
    ("esnli", None): {"train": "esnli/esnli_train_first10k.json", "validation": "esnli/esnli_valid.json",
                      "test": "esnli/esnli_test.json"},
}  # fmt: skip


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, dss_dir: Path) -> list[tuple]:
    """Replace datasets.load_dataset by a reader of the tiny DSS files; returns the calls made."""
    calls: list[tuple] = []

    def load_dataset(path: str, name: str | None = None, **kwargs) -> datasets.DatasetDict:
        calls.append((path, name))
        splits = HUB_FILES[(path, name)]
        rows = {s: [json.loads(x) for x in (dss_dir / f).read_text().splitlines()] for s, f in splits.items()}
        return datasets.DatasetDict({s: datasets.Dataset.from_list(r) for s, r in rows.items()})

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


@pytest.mark.parametrize(
    ("name", "hub"), [("cqa", ("cos_e", "v1.11")), ("anli1", ("anli", None)), ("esnli", ("esnli", None))]
)
def test_hub_source_matches_local_files(fake_hub: list, dss_dir: Path, name: str, hub: tuple) -> None:
    _, local = load_task(TaskConfig(name=name, data_dir=dss_dir))
    _, remote = load_task(TaskConfig(name=name, data_dir=dss_dir, source="hub"))
    assert fake_hub == [hub]
    for split in ("train", "valid", "test"):
        assert [(e.id, e.text, e.label) for e in remote.split(split)] == [
            (e.id, e.text, e.label) for e in local.split(split)
        ]
    assert any("hub:" in note for note in remote.notes)


def test_hub_anli_full_layout_uses_train_r1(fake_hub: list, dss_dir: Path) -> None:
    _, data = load_task(TaskConfig(name="anli1", data_dir=dss_dir, source="hub", train_from="train"))
    assert data.sizes() == {"train": 10, "valid": 10, "test": 4}
    assert not any("small-data" in note for note in data.notes)


def test_hub_failure_is_a_data_error(monkeypatch: pytest.MonkeyPatch, dss_dir: Path) -> None:
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(DataError, match=r"hub:cos_e/v1.11: could not load .*ConnectionError: no network"):
        load_task(TaskConfig(name="cqa", data_dir=dss_dir, source="hub"))


def test_hub_svamp_rebuilds_dss_split_from_svamp_json(dss_dir: Path) -> None:
    problems = [
        {"ID": f"chal-{i}", "Body": f"Tom has {i} apples.", "Question": "How many now?",
         "Equation": f"( {i}.0 + 2.0 )", "Answer": i + 2.0, "Type": "Addition"}
        for i in range(1000)
    ]  # fmt: skip
    (dss_dir / "svamp" / "SVAMP.json").write_text(json.dumps(problems))
    _, data = load_task(TaskConfig(name="svamp", data_dir=dss_dir, source="hub", valid_fraction=0.0))
    order = np.random.RandomState(0).permutation(1000)
    assert [e.id for e in data.train] == [f"chal-{i}" for i in order[:800]]
    assert [e.id for e in data.test] == [f"chal-{i}" for i in order[800:]]
    first = data.test[0]
    assert (
        first.text == f"Tom has {order[800]} apples.\nHow many now?"
        and first.meta["answer"] == order[800] + 2
    )
