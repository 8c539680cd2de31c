"""Inputs of ``predict`` and ``explain``: files, in-memory rows, splits, task formatting and
plain text, and the one-line errors for what cannot be used (no model is loaded here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokendistill.errors import DeployError
from tokendistill.inference.inputs import InputFields, read_inputs
from tokendistill.inference.usage import resolve_usage
from tokendistill.tasks import CustomTaskConfig, DataError, TaskConfig
from tokendistill.tasks.formatting import nli_text
from tokendistill.tasks.readers import Record


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_plain_text_rows_are_all_content(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("key,sentence,gold\na1,the cat,animal\n,a red hat,color\n")
    usage = resolve_usage("tiny-causal", task="synthetic")
    rows = read_inputs(usage, path, None, InputFields(text="sentence", label="gold", id="key"))
    first, second = (row.example for row in rows)
    assert (first.id, first.text, first.content_spans, first.label) == ("a1", "the cat", ((0, 7),), "animal")
    assert second.id == "input/1" and first.choices == usage.label_set == ("animal", "color", "food", "tool")


def test_in_memory_texts_need_no_field_and_a_split_comes_from_the_task() -> None:
    usage = resolve_usage("tiny-causal", task=TaskConfig(name="synthetic", synthetic={"n_test": 3}))
    (row,) = read_inputs(usage, ["just text"], None, InputFields())
    assert (row.example.text, row.example.label, row.fields) == ("just text", "", {"text": "just text"})
    assert [r.example.id for r in read_inputs(usage, None, "test", InputFields())] == [
        "synthetic/test/0",
        "synthetic/test/1",
        "synthetic/test/2",
    ]


def test_a_task_formats_rows_as_its_own(tmp_path: Path) -> None:
    usage = resolve_usage("tiny-causal", task="esnli")
    path = _jsonl(
        tmp_path / "rows.jsonl", [{"premise": "A dog runs.", "hypothesis": "An animal moves.", "label": 0}]
    )
    (row,) = read_inputs(usage, path, None, InputFields())
    text, spans = nli_text("A dog runs.", "An animal moves.", join_with=None)
    assert (row.example.text, row.example.content_spans, row.example.label) == (text, spans, "entailment")

    custom = TaskConfig(
        name="mine", custom=CustomTaskConfig(test_file="t.jsonl", input_template="Q: {q}", label_field="a")
    )
    (row,) = read_inputs(
        resolve_usage("tiny-causal", task=custom), [{"q": "why?", "a": "because"}], None, InputFields()
    )
    assert (row.example.text, row.example.content_spans, row.example.label) == (
        "Q: why?",
        ((3, 7),),
        "because",
    )


def test_a_row_the_task_cannot_format_names_its_file_line_and_field(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "rows.jsonl", [{"text": "the cat", "label": "animal"}, {"text": "a red hat"}])
    with pytest.raises(DataError, match=r"rows\.jsonl, line 2, field 'label': missing field"):
        read_inputs(resolve_usage("tiny-causal", task="synthetic"), path, None, InputFields())


@pytest.mark.parametrize(
    ("inputs", "split", "task", "message"),
    [
        (None, None, "synthetic", "give either inputs"),
        (["a"], "test", "synthetic", "give either inputs"),
        (None, "test", None, "split 'test' needs a task"),
        ([{"q": "a"}], None, None, "need a task to format them, or a text field"),
        ([], None, "synthetic", "<inputs>: no rows"),
    ],
)
def test_unusable_requests(inputs, split, task, message) -> None:
    with pytest.raises(DeployError, match=message):
        read_inputs(resolve_usage("tiny-causal", task=task), inputs, split, InputFields())


def test_unknown_models_tasks_and_modes_fail_in_one_line() -> None:
    with pytest.raises(DeployError, match=r"^unknown model 'nothing-here'"):
        resolve_usage("nothing-here")
    with pytest.raises(DeployError, match=r"^unknown task 'nope'; known: "):
        read_inputs(resolve_usage("tiny-causal", task="nope"), ["a"], None, InputFields())
    with pytest.raises(DeployError, match=r"^unknown student mode 'none'"):
        resolve_usage("tiny-causal", mode="none")


def test_a_task_without_a_row_formatter_asks_for_a_text_field() -> None:
    from tokendistill.tasks import Task

    class Bare(Task):
        name = "bare"

        def load(self, config):
            raise NotImplementedError

        def score(self, prediction, example):
            return 0.0

    records = [Record("rows.jsonl", 1, 0, {"q": "a"})]
    with pytest.raises(DataError, match=r"task 'bare' cannot format rows from a file; give a text field"):
        Bare().format_records(records, TaskConfig(name="bare"))
