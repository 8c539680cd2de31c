"""Inputs to ``predict`` and ``explain``: a file's rows, in-memory texts or rows, or a split.

Rows become ``Example``s in one of two ways. With a task (``--task``/``--config``, or the
kept model's own), the task formats them exactly as it formats its own data
(``Task.format_records``). With ``text_field``, a row's text is used as it is and all of it
is content (plain text; the label, when wanted, comes from ``label_field``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tokendistill.errors import DeployError
from tokendistill.inference.usage import ModelUsage
from tokendistill.tasks import Example, load_task
from tokendistill.tasks.config import Split
from tokendistill.tasks.readers import Record, read_records

Inputs = str | os.PathLike[str] | Sequence[str] | Sequence[Mapping[str, Any]]
IN_MEMORY = "<inputs>"
TEXT = "text"  # the field bare in-memory texts are put in


@dataclass(frozen=True)
class InputFields:
    """Which raw fields a row's text, label and id are read from (plain-text inputs), and
    which holds a forced target (``explain``)."""

    text: str | None = None
    label: str | None = None
    id: str = "id"
    target: str | None = None


@dataclass(frozen=True)
class InputRow:
    """One input as an example, with the raw fields it came from (empty for a split)."""

    example: Example
    fields: Mapping[str, Any]


def read_inputs(
    usage: ModelUsage, inputs: Inputs | None, split: Split | None, fields: InputFields
) -> list[InputRow]:
    """The rows of ``inputs`` (a file path, texts or row mappings) or of the task's ``split``."""
    if (inputs is None) == (split is None):
        raise DeployError("give either inputs (a file, texts or rows) or a split of the task")
    if split is not None:
        if usage.task_config is None:
            raise DeployError(f"split {split!r} needs a task: give a task name or a run config")
        _, data = load_task(usage.task_config)
        return [InputRow(example, {}) for example in data.split(split)]
    records = _records(inputs)
    if not records:
        raise DeployError(f"{_where(inputs)}: no rows")
    texts = not isinstance(inputs, (str, os.PathLike)) and all(isinstance(item, str) for item in inputs)
    text_field = fields.text or (TEXT if texts else None)
    if text_field is not None:
        plain = replace(fields, text=text_field)
        return [InputRow(_plain(record, plain, usage.label_set), record.fields) for record in records]
    if usage.task is None:
        raise DeployError("these inputs need a task to format them, or a text field for plain text")
    examples = usage.task.format_records(records, usage.task_config)
    return [InputRow(example, record.fields) for example, record in zip(examples, records, strict=True)]


def _records(inputs: Inputs) -> list[Record]:
    if isinstance(inputs, (str, os.PathLike)):
        return read_records(Path(inputs))
    rows = [{TEXT: item} if isinstance(item, str) else dict(item) for item in inputs]
    return [Record(IN_MEMORY, i + 1, i, row, line_kind="item") for i, row in enumerate(rows)]


def _plain(record: Record, fields: InputFields, label_set: tuple[str, ...] | None) -> Example:
    text = record.text(str(fields.text))
    label = str(record.value(fields.label)) if fields.label is not None else ""
    example_id = record.fields.get(fields.id)
    example_id = str(example_id) if example_id not in (None, "") else f"input/{record.row}"
    return Example(example_id, text, ((0, len(text)),), label, label_set)


def _where(inputs: Inputs) -> str:
    return str(inputs) if isinstance(inputs, (str, os.PathLike)) else IN_MEMORY
