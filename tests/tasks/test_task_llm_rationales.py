"""PaLM output parsing (as DSS) and row alignment across batches and hold-outs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokendistill.tasks import DataError, TaskConfig, load_task
from tokendistill.tasks import llm_rationales as llm
from tokendistill.tasks.llm_rationales import LLMOutput, parse_anli, parse_cqa, parse_esnli, parse_svamp


def test_parse_cqa() -> None:
    out = (
        "Bums live near bridges. So the answer is (d) bridge.\n\nQ: Next?\nAnswer Choices:\n(a) x\nA: So the"
    )
    assert parse_cqa(out) == LLMOutput("Bums live near bridges.", "bridge")
    assert parse_cqa("No verdict here.\n\nQ: x") == LLMOutput("", "")
    assert parse_cqa("Twice So the answer is (a) x. So the answer is (b) y.") == LLMOutput("", "")
    assert parse_cqa("Reason. So the answer is bridge.") == LLMOutput("Reason.", "")
    assert parse_cqa("Reason. So the answer is (c)") == LLMOutput("Reason.", "")


def test_parse_svamp() -> None:
    out = "84 / 2 = 42. The answer is (84 / 2).\n\nQ: There are 120 students. A: The answer is (120 /"
    assert parse_svamp(out) == LLMOutput("84 / 2 = 42.", "(84 / 2)")
    assert parse_svamp("The answer is ((18 - 10) * 15).") == LLMOutput("", "((18 - 10) * 15)")
    assert parse_svamp("no answer") == LLMOutput("", "")
    assert parse_svamp("Reason. The answer is 42.") == LLMOutput("Reason.", "")


def test_parse_esnli() -> None:
    out = "The person is not at the diner.\nAnswer: contradiction\n\nPremise: A person on a horse."
    assert parse_esnli(out) == LLMOutput("The person is not at the diner.", "contradiction")
    assert parse_esnli("Runs on without a verdict") == LLMOutput("Runs on without a verdict", "")


def test_parse_anli() -> None:
    out = "Zeffirelli was a senator. So the answer is entailment.\n\nPremise: Almost Sunrise is a film."
    assert parse_anli(out) == LLMOutput("Zeffirelli was a senator.", "entailment")
    assert parse_anli("Premise: only an invented example") == LLMOutput("", "")


def write_batches(dss_dir: Path, task: str, prefix: str, outputs: list[str], size: int) -> None:
    folder = dss_dir / task / "llm"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{prefix}_CoT_*.json"):
        old.unlink()
    for k in range(0, len(outputs), size):
        (folder / f"{prefix}_CoT_{k // size}.json").write_text(json.dumps(outputs[k : k + size]))


def test_batches_align_rows_and_survive_the_hold_out(monkeypatch: pytest.MonkeyPatch, dss_dir: Path) -> None:
    monkeypatch.setitem(llm.PALM_BATCH_SIZES, "cqa", 4)
    outputs = [f"Thing {i} is there. So the answer is (b) place{i}b.\n\nQ: next" for i in range(10)]
    write_batches(dss_dir, "cqa", "train", outputs, 4)
    write_batches(dss_dir, "cqa", "test", [f"T {i}. So the answer is (a) x." for i in range(3)], 4)
    _, data = load_task(TaskConfig(name="cqa", data_dir=dss_dir, llm_rationales=True))
    assert data.sizes() == {"train": 9, "valid": 1, "test": 3}
    for example in data.train + data.valid:
        row = example.meta["row"]
        assert example.id == f"q{row}" and example.llm_rationale == f"Thing {row} is there."
        assert example.llm_label == f"place{row}b" == example.label
    assert [e.llm_rationale for e in data.test] == ["T 0.", "T 1.", "T 2."]


def test_short_inner_batch_is_refused(monkeypatch: pytest.MonkeyPatch, dss_dir: Path) -> None:
    monkeypatch.setitem(llm.PALM_BATCH_SIZES, "cqa", 4)
    folder = dss_dir / "cqa" / "llm"
    (folder / "train_CoT_0.json").write_text(json.dumps(["a"] * 3))
    (folder / "train_CoT_1.json").write_text(json.dumps(["b"] * 4))
    with pytest.raises(DataError, match=r"train_CoT_0\.json: 3 outputs, expected 4 per batch"):
        load_task(TaskConfig(name="cqa", data_dir=dss_dir, llm_rationales=True))


def test_anli_small_data_mode_keeps_rationales_with_rows(dss_dir: Path) -> None:
    _, data = load_task(TaskConfig(name="anli1", data_dir=dss_dir, llm_rationales=True))
    assert data.sizes() == {"train": 9, "valid": 1, "test": 4}
    assert any(
        n.startswith("ANLI-R1 small-data mode: train = anli1_valid.json minus a 10%") for n in data.notes
    )
    for example in data.train + data.valid + data.test:
        assert example.llm_rationale == f"The dog number {example.id[1:]} runs."
        assert example.llm_label == example.label


def test_more_outputs_than_rows_aligns_the_first(dss_dir: Path) -> None:
    rows = [json.loads(x) for x in (dss_dir / "esnli" / "esnli_train_first10k.json").read_text().splitlines()]
    write_batches(
        dss_dir, "esnli", "train", [f"Row {i}.\nAnswer: neutral\n\nPremise" for i in range(8)], 5500
    )
    for split in ("valid", "test"):
        write_batches(dss_dir, "esnli", split, ["R.\nAnswer: neutral"] * 3, 5500)
    _, data = load_task(TaskConfig(name="esnli", data_dir=dss_dir, llm_rationales=True))
    assert len(data.train) == len(rows) == 6
    assert [e.llm_rationale for e in data.train] == [f"Row {i}." for i in range(6)]
    assert any("8 PaLM outputs for 6 rows; the first 6 are aligned" in note for note in data.notes)
