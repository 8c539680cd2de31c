"""Config-defined tasks from JSON Lines, CSV and Parquet files written to tmp_path."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tokendistill.tasks import DataError, TaskConfig, load_task

ROWS = [
    {
        "uid": f"r{i}",
        "question": f"What is {i} plus one?",
        "context": f"Numbers near {i}.",
        "answer": f"n{i + 1}",
        "options": [f"n{i}", f"n{i + 1}", f"n{i + 2}"],
    }
    for i in range(20)
]
TEMPLATE = "Question: {question}\nContext: {context}"


def write(path: Path, rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "csv":
        flat = [{**r, "options": "|".join(r["options"])} if "options" in r else r for r in rows]
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(flat[0]))
            writer.writeheader()
            writer.writerows(flat)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path.name


def custom_config(tmp_path: Path, **custom) -> TaskConfig:
    spec = {"input_template": TEMPLATE, "label_field": "answer", **custom}
    return TaskConfig(name="mine", data_dir=tmp_path, custom=spec)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_custom_task_from_each_format(tmp_path: Path, fmt: str) -> None:
    train = write(tmp_path / f"train.{fmt}", ROWS, fmt)
    test = write(tmp_path / f"test.{fmt}", [{**r, "uid": f"t{i}"} for i, r in enumerate(ROWS[:4])], fmt)
    config = custom_config(
        tmp_path, train_file=train, test_file=test, choices_field="options", metric="choice", id_field="uid"
    )
    task, data = load_task(config)
    assert data.sizes() == {"train": 18, "valid": 2, "test": 4}
    example = data.test[1]
    assert example.id == "t1" and example.label == "n2" and example.choices == ("n1", "n2", "n3")
    assert example.text == "Question: What is 1 plus one?\nContext: Numbers near 1."
    assert [example.text[s:e] for s, e in example.content_spans] == ["What is 1 plus one?", "Numbers near 1."]
    for word in ("Question:", "Context:"):
        start = example.text.index(word)
        assert not example.is_content(start, start + len(word))
    assert (
        task.score("(b)", example) == 1.0
        and task.score("n2.", example) == 1.0
        and task.score("a", example) == 0.0
    )
    assert any("held out" in note for note in data.notes)


def test_custom_label_set_map_rationales_and_explicit_valid(tmp_path: Path) -> None:
    rows = [{"p": f"p{i}", "h": f"h{i}", "y": i % 3, "why": f"because {i}"} for i in range(6)]
    for split in ("train", "dev", "test"):
        write(tmp_path / f"{split}.jsonl", rows, "jsonl")
    config = TaskConfig(
        name="nli2",
        data_dir=tmp_path,
        llm_rationales=True,
        max_examples={"test": 2},
        custom={
            "train_file": "train.jsonl", "valid_file": "dev.jsonl", "test_file": "test.jsonl",
            "input_template": "{p} => {h}", "label_field": "y",
            "label_map": {"0": "entailment", "1": "neutral", "2": "contradiction"},
            "label_set": ["entailment", "neutral", "contradiction"], "rationale_field": "why",
        },
    )  # fmt: skip
    task, data = load_task(config)
    assert data.sizes() == {"train": 6, "valid": 6, "test": 2}
    assert data.label_set == task.label_set == ("entailment", "neutral", "contradiction")
    example = data.train[2]
    assert example.id == "nli2/train/2" and example.text == "p2 => h2" and example.label == "contradiction"
    assert example.choices == data.label_set and example.llm_rationale == "because 2"


def test_custom_numeric_metric_and_list_fields(tmp_path: Path) -> None:
    rows = [{"body": "Two bags of 3.", "nums": [2, 3], "eq": "( 2.0 * 3.0 )"}]
    write(tmp_path / "t.jsonl", rows, "jsonl")
    config = TaskConfig(
        name="math",
        data_dir=tmp_path,
        custom={
            "test_file": "t.jsonl",
            "input_template": "{body} [{nums}]",
            "label_field": "eq",
            "metric": "equation",
        },
    )
    task, data = load_task(config)
    example = data.test[0]
    assert example.text == "Two bags of 3. [2, 3]"
    assert [example.text[s:e] for s, e in example.content_spans] == ["Two bags of 3.", "2", "3"]
    assert data.train == [] and data.valid == []
    assert (
        task.score("6", example) == 1.0
        and task.score("(3 * 2)", example) == 1.0
        and task.score("5", example) == 0.0
    )


def test_custom_bad_rows(tmp_path: Path) -> None:
    rows = [{"question": "q", "context": "c", "answer": "x"}, {"question": "", "context": "", "answer": "y"}]
    name = write(tmp_path / "t.csv", rows, "csv")
    with pytest.raises(DataError, match=re.escape("t.csv, line 3, field 'question, context': empty input")):
        load_task(custom_config(tmp_path, test_file=name))
    write(tmp_path / "u.parquet", [{"question": "q", "context": "c", "answer": "z"}], "parquet")
    with pytest.raises(DataError, match=re.escape("u.parquet, row 1, field 'answer': label 'z' is outside")):
        load_task(custom_config(tmp_path, test_file="u.parquet", label_set=["x", "y"]))
    write(tmp_path / "v.jsonl", [{"question": "q", "answer": "x"}], "jsonl")
    with pytest.raises(DataError, match=re.escape("v.jsonl, line 1, field 'context': missing field")):
        load_task(custom_config(tmp_path, test_file="v.jsonl"))
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(DataError, match="cannot infer the format"):
        load_task(custom_config(tmp_path, test_file="w.txt"))


def test_custom_duplicate_ids(tmp_path: Path) -> None:
    rows = [{"uid": "same", "question": "q", "context": "c", "answer": "x"}] * 2
    write(tmp_path / "t.jsonl", rows, "jsonl")
    with pytest.raises(DataError, match=re.escape("t.jsonl, line 2, field 'uid': id 'same' already used")):
        load_task(custom_config(tmp_path, test_file="t.jsonl", id_field="uid"))


def test_custom_test_fraction_holds_test_then_valid_rows_out_of_one_file(tmp_path: Path) -> None:
    write(tmp_path / "all.jsonl", ROWS, "jsonl")
    _, data = load_task(custom_config(tmp_path, train_file="all.jsonl", test_fraction=0.2))
    assert data.sizes() == {"train": 14, "valid": 2, "test": 4}
    ids = [ex.id for split in ("train", "valid", "test") for ex in data.split(split)]
    assert sorted(ids) == sorted(f"mine/train/{i}" for i in range(20))  # every row once
    _, again = load_task(custom_config(tmp_path, train_file="all.jsonl", test_fraction=0.2))
    assert [ex.id for ex in again.test] == [ex.id for ex in data.test]
    assert any(note.startswith("test = 4 rows held out from all.jsonl") for note in data.notes)


def test_custom_test_fraction_needs_a_train_file_and_no_test_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="test_fraction holds test rows out of train_file"):
        custom_config(tmp_path, train_file="a.jsonl", test_file="b.jsonl", test_fraction=0.1)
    with pytest.raises(ValueError, match="test_fraction holds test rows out of train_file"):
        custom_config(tmp_path, test_file="b.jsonl", test_fraction=0.1)
