"""Data-path fixtures for the tasks tests: the shared real data, and tiny DSS-layout copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokendistill.tasks.config import default_data_dir

REAL_TASK_DIRS = ("anli1", "cqa", "esnli", "svamp")


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real data folder ($TOKENDISTILL_DATA or <repo>/../shared/data); skip when absent."""
    path = default_data_dir()
    missing = [name for name in REAL_TASK_DIRS if not (path / name).is_dir()]
    if missing:
        pytest.skip(f"real data not found under {path} (missing {missing})")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_json(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def nli_rows(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "uid": f"u{start + i}",
            "premise": f"A dog number {start + i} runs.",
            "hypothesis": f"Pet {start + i}.",
            "label": i % 3,
        }
        for i in range(n)
    ]


def nli_outputs(rows: list[dict]) -> list[str]:
    names = ("entailment", "neutral", "contradiction")
    return [
        f"The dog number {r['uid'][1:]} runs. So the answer is {names[r['label']]}.\n\nPremise: made up"
        for r in rows
    ]


def cqa_rows(n: int) -> list[dict]:
    return [
        {
            "id": f"q{i}",
            "question": f"Where is thing {i}?",
            "choices": [f"place{i}a", f"place{i}b", "bridge", "bridge", f"place{i}e"],
            "answer": f"place{i}b",
            "abstractive_explanation": "x",
            "extractive_explanation": "y",
        }
        for i in range(n)
    ]


def svamp_rows(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "input": f"Tom has {start + i} apples. He gets 2 more\nHow many apples now?",
            "label": f"( {start + i}.0 + 2.0 )",
        }
        for i in range(n)
    ]


@pytest.fixture
def dss_dir(tmp_path: Path) -> Path:
    """A tiny copy of the DSS layout (all four tasks, with PaLM output files) under tmp_path."""
    root = tmp_path / "data"
    anli_valid, anli_test = nli_rows(10), nli_rows(4, start=100)
    write_jsonl(root / "anli1" / "anli1_valid.json", anli_valid)
    write_jsonl(root / "anli1" / "anli1_test.json", anli_test)
    write_json(root / "anli1" / "llm" / "valid_CoT_0.json", nli_outputs(anli_valid))
    write_json(root / "anli1" / "llm" / "test_CoT_0.json", nli_outputs(anli_test))
    for split, rows in {
        "train_first10k": nli_rows(6),
        "valid": nli_rows(3, 50),
        "test": nli_rows(3, 60),
    }.items():
        write_jsonl(
            root / "esnli" / f"esnli_{split}.json", [{k: v for k, v in r.items() if k != "uid"} for r in rows]
        )
    cqa = cqa_rows(10)
    write_jsonl(root / "cqa" / "cqa_train.json", cqa)
    write_jsonl(root / "cqa" / "cqa_test.json", cqa_rows(3))
    outputs = [f"Thing {i} is there. So the answer is (b) place{i}b.\n\nQ: next" for i in range(10)]
    write_json(root / "cqa" / "llm" / "train_CoT_0.json", outputs)
    write_jsonl(root / "svamp" / "svamp_train.json", svamp_rows(10))
    write_jsonl(root / "svamp" / "svamp_test.json", svamp_rows(3, start=50))
    return root
