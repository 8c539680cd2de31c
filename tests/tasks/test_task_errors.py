"""Each kind of bad input fails with a DataError naming file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tokendistill.tasks import DataError, TaskConfig, load_task


def load(data_dir: Path, name: str, **config):
    return load_task(TaskConfig(name=name, data_dir=data_dir, **config))[1]


def rewrite_line(path: Path, line_no: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line_no - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_missing_data_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere.*data folder not found.*TOKENDISTILL_DATA") as info:
        load(tmp_path / "nowhere", "cqa")
    assert info.value.file == str(tmp_path / "nowhere")


def test_missing_task_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"svamp: svamp data folder not found"):
        load(tmp_path, "svamp")


def test_missing_file(dss_dir: Path) -> None:
    (dss_dir / "cqa" / "cqa_test.json").unlink()
    with pytest.raises(DataError, match=r"cqa_test\.json: file not found"):
        load(dss_dir, "cqa")


def test_missing_anli_train_file_suggests_small_data_mode(dss_dir: Path) -> None:
    with pytest.raises(DataError, match=r"anli1_train\.json: file not found; .*train_from: valid"):
        load(dss_dir, "anli1", train_from="train")


def test_malformed_json_line(dss_dir: Path) -> None:
    path = dss_dir / "cqa" / "cqa_train.json"
    rewrite_line(path, 2, '{"id": "q1", "question": ')
    with pytest.raises(DataError, match=re.escape(f"{path}, line 2: malformed JSON")) as info:
        load(dss_dir, "cqa")
    assert info.value.line == 2


def test_missing_field(dss_dir: Path) -> None:
    path = dss_dir / "cqa" / "cqa_train.json"
    row = json.loads(path.read_text().splitlines()[2])
    del row["question"]
    rewrite_line(path, 3, json.dumps(row))
    with pytest.raises(DataError, match=re.escape(f"{path}, line 3, field 'question': missing field")):
        load(dss_dir, "cqa")


def test_label_outside_label_set(dss_dir: Path) -> None:
    path = dss_dir / "anli1" / "anli1_test.json"
    rewrite_line(path, 4, json.dumps({"uid": "u", "premise": "P.", "hypothesis": "H.", "label": 3}))
    with pytest.raises(
        DataError, match=re.escape(f"{path}, line 4, field 'label': label 3 is outside")
    ) as info:
        load(dss_dir, "anli1")
    assert "0 entailment, 1 neutral, 2 contradiction" in str(info.value)


def test_cqa_answer_not_among_choices(dss_dir: Path) -> None:
    path = dss_dir / "cqa" / "cqa_test.json"
    row = {"id": "z", "question": "Q?", "choices": ["a", "b", "c", "d", "e"], "answer": "f"}
    rewrite_line(path, 1, json.dumps(row))
    with pytest.raises(DataError, match=re.escape(f"{path}, line 1, field 'answer': answer 'f' is not one")):
        load(dss_dir, "cqa")


def test_empty_input(dss_dir: Path) -> None:
    path = dss_dir / "esnli" / "esnli_valid.json"
    rewrite_line(path, 2, json.dumps({"premise": "  ", "hypothesis": "H.", "label": 0}))
    with pytest.raises(DataError, match=re.escape(f"{path}, line 2, field 'premise': empty text")):
        load(dss_dir, "esnli")


def test_svamp_gold_equation_must_evaluate(dss_dir: Path) -> None:
    path = dss_dir / "svamp" / "svamp_test.json"
    rewrite_line(path, 2, json.dumps({"input": "a\nb?", "label": "__import__('os')"}))
    with pytest.raises(DataError, match=re.escape(f"{path}, line 2, field 'label': gold equation")):
        load(dss_dir, "svamp")


def test_missing_palm_outputs(dss_dir: Path) -> None:
    with pytest.raises(DataError, match=r"svamp/llm/train_CoT_0\.json: no PaLM outputs"):
        load(dss_dir, "svamp", llm_rationales=True)


def test_fewer_palm_outputs_than_rows(dss_dir: Path) -> None:
    path = dss_dir / "cqa" / "llm" / "train_CoT_0.json"
    path.write_text(json.dumps(json.loads(path.read_text())[:9]))
    (dss_dir / "cqa" / "llm" / "test_CoT_0.json").write_text(json.dumps(["x"] * 3))
    with pytest.raises(DataError, match=r"only 9 PaLM outputs for 10 rows of cqa cqa_train\.json"):
        load(dss_dir, "cqa", llm_rationales=True)


def test_palm_output_that_is_not_a_string(dss_dir: Path) -> None:
    path = dss_dir / "cqa" / "llm" / "train_CoT_0.json"
    path.write_text(json.dumps(["ok", 5]))
    with pytest.raises(DataError, match=re.escape(f"{path}, field '[1]': expected a string")):
        load(dss_dir, "cqa", llm_rationales=True)
