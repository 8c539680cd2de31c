"""Config-defined tasks: a new dataset needs a config section, not code.

``CustomTaskConfig`` names the files (JSON Lines, CSV or Parquet), an input template
whose ``{field}``s are content and whose other text is template, the label field, optional
choices and a metric by name. Rows are validated as they are read, with the file, line
and field of the first problem in the error.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import SPLITS, Split, TaskConfig
from tokendistill.tasks.custom_config import CustomTaskConfig, template_fields
from tokendistill.tasks.example import Example, TemplateBuilder
from tokendistill.tasks.metrics import get_metric, label_problem
from tokendistill.tasks.readers import Record, read_records
from tokendistill.tasks.splits import holdout_or_fail, take_first

LIST_JOINER = ", "


class CustomTask(Task):
    """A task built from a ``CustomTaskConfig``; ``name`` is the config's task name."""

    def __init__(self, name: str, spec: CustomTaskConfig) -> None:
        self.name = name
        self.spec = spec
        self.label_set = spec.label_set
        self.fields = template_fields(spec.input_template)
        self._scorer = get_metric(spec.metric)
        self.notes = (
            f"config-defined task: input {spec.input_template!r}, label field {spec.label_field!r}, "
            f"metric {spec.metric}",
        )

    def score(self, prediction: str, example: Example) -> float:
        return self._scorer(prediction, example)

    def format_records(self, records: Sequence[Record], config: TaskConfig) -> list[Example]:
        return [self.make_example(record, "test") for record in records]

    def load(self, config: TaskConfig) -> TaskData:
        if config.name != self.name or (config.custom is not None and config.custom != self.spec):
            raise ValueError(f"config for {config.name!r} does not describe custom task {self.name!r}")
        if config.llm_rationales and self.spec.rationale_field is None:
            raise ValueError(
                "llm_rationales needs custom.rationale_field: the column holding the LLM rationale"
            )
        seen_ids: dict[str, str] = {}
        loaded = {role: self._read_split(config, role, seen_ids) for role in SPLITS if self._file(role)}
        notes = ["source: " + ", ".join(f"{role} = {self._file(role)}" for role in loaded)]
        splits = {split: loaded.get(split, []) for split in SPLITS}
        if self.spec.test_fraction is not None and splits["train"]:
            self._hold_out(splits, "test", self.spec.test_fraction, config, notes)
        if "valid" not in loaded and splits["train"]:
            self._hold_out(splits, "valid", config.valid_fraction, config, notes)
        for split in SPLITS:
            splits[split] = take_first(splits[split], getattr(config.max_examples, split))
        return TaskData(**splits, notes=notes, label_set=self.label_set, task=self.name)

    def _hold_out(
        self,
        splits: dict[str, list[Example]],
        split: Split,
        fraction: float,
        config: TaskConfig,
        notes: list[str],
    ) -> None:
        """Move ``fraction`` of the train rows into ``split`` (deterministic, ``split_seed``)."""
        origin = str(config.resolved_data_dir() / str(self._file("train")))
        splits["train"], splits[split] = holdout_or_fail(splits["train"], fraction, config.split_seed, origin)
        notes.append(
            f"{split} = {len(splits[split]):,} rows held out from {self._file('train')} "
            f"({split}_fraction {fraction:g}, seed {config.split_seed})"
        )

    def _file(self, role: Split) -> str | None:
        return getattr(self.spec, f"{role}_file")

    def _read_split(self, config: TaskConfig, role: Split, seen_ids: dict[str, str]) -> list[Example]:
        """The examples of one file; ``seen_ids`` (id -> where) catches ids used twice."""
        path = config.resolved_data_dir() / str(self._file(role))
        examples = []
        for record in read_records(path, self.spec.format):
            example = self.make_example(record, role, config.llm_rationales)
            if example.id in seen_ids:
                raise record.error(
                    f"id {example.id!r} already used at {seen_ids[example.id]}", self.spec.id_field
                )
            seen_ids[example.id] = f"{record.source} {record.line_kind} {record.line}"
            examples.append(example)
        return examples

    def make_example(self, record: Record, role: Split, with_rationale: bool = False) -> Example:
        """One validated example from a raw row."""
        text, spans = self._render(record)
        choices = self._choices(record)
        label = self._label(record, choices)
        meta: dict[str, Any] = {"split_file": role, "row": record.row}
        example = Example(self._id(record, role), text, spans, label, choices, meta)
        if not with_rationale:
            return example
        llm_field = self.spec.llm_label_field
        return replace(
            example,
            llm_rationale=_as_text(record, str(self.spec.rationale_field)),
            llm_label=_as_text(record, llm_field) if llm_field else "",
        )

    def _render(self, record: Record) -> tuple[str, tuple[tuple[int, int], ...]]:
        builder = TemplateBuilder()
        for literal, field, _, _ in string.Formatter().parse(self.spec.input_template):
            builder.template(literal)
            if field is not None:
                _add_value(builder, record, field)
        text, spans = builder.build()
        if not any(text[start:end].strip() for start, end in spans):
            raise record.error("empty input: every template field is empty", ", ".join(self.fields))
        return text, spans

    def _choices(self, record: Record) -> tuple[str, ...] | None:
        field = self.spec.choices_field
        if field is None:
            return self.label_set
        value = record.value(field)
        if isinstance(value, str):
            items = [item.strip() for item in value.split(self.spec.choices_delimiter)]
        elif isinstance(value, (list, tuple)):
            items = [str(item).strip() for item in value]
        else:
            raise record.error(f"choices must be a list or a delimited string, got {value!r}", field)
        if not items or not all(items):
            raise record.error(f"empty choice in {value!r}", field)
        return tuple(items)

    def _label(self, record: Record, choices: tuple[str, ...] | None) -> str:
        field = self.spec.label_field
        label = _as_text(record, field)
        if self.spec.label_map is not None:
            if label not in self.spec.label_map:
                raise record.error(
                    f"label {label!r} is not a key of label_map {sorted(self.spec.label_map)}", field
                )
            label = self.spec.label_map[label]
        if not label.strip():
            raise record.error("empty label", field)
        if self.label_set is not None and label not in self.label_set:
            raise record.error(
                f"label {label!r} is outside the task's label set {list(self.label_set)}", field
            )
        if self.spec.metric == "choice" and choices is not None and label not in choices:
            raise record.error(f"label {label!r} is not one of the choices {list(choices)}", field)
        problem = label_problem(self.spec.metric, label)
        if problem is not None:
            raise record.error(problem, field)
        return label

    def _id(self, record: Record, role: Split) -> str:
        if self.spec.id_field is None:
            return f"{self.name}/{role}/{record.row}"
        return _as_text(record, self.spec.id_field)


def _as_text(record: Record, field: str) -> str:
    """A scalar field as text (numbers and booleans included; lists and objects refused)."""
    value = record.value(field)
    if isinstance(value, (str, int, float, bool)):
        return str(value)
    raise record.error(f"expected text or a number, got {type(value).__name__}", field)


def _add_value(builder: TemplateBuilder, record: Record, field: str) -> None:
    """A template field's value as content; a list becomes its items joined by ``LIST_JOINER``."""
    value = record.value(field)
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            builder.template(LIST_JOINER if i else "").content(str(item))
    elif isinstance(value, (str, int, float, bool)):
        builder.content(str(value))
    else:
        raise record.error(f"cannot put a {type(value).__name__} into the input text", field)
