"""``CustomTaskConfig``: a task of your own described by config: its files, input template,
label field, choices and metric."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class CustomTaskConfig(BaseModel):
    """A dataset described entirely by config: files, an input template and a label field.

    ``input_template`` like ``"Question: {question}\\nContext: {context}"``: each ``{field}``
    is content (eligible as rationale), the rest is template. Literal braces are ``{{ }}``.
    Relative file paths are resolved against ``TaskConfig.data_dir``.
    """

    model_config = ConfigDict(extra="forbid")

    train_file: str | None = Field(None, description="the training rows' file, relative to task.data_dir")
    valid_file: str | None = Field(
        None, description="the validation rows' file (default: task.valid_fraction of train held out)"
    )
    test_file: str | None = Field(None, description="the test rows' file")
    test_fraction: float | None = Field(
        None, gt=0.0, lt=1.0, description="without a test file: share of train held out as the test split"
    )
    format: Literal["jsonl", "csv", "parquet"] | None = Field(
        None, description="the files' format (default: from the extension)"
    )
    input_template: str = Field(description="the input text: each {field} is content, the rest template")
    label_field: str = Field(description="the field holding the answer")
    label_map: dict[str, str] | None = Field(None, description="rename labels, e.g. {0: negative}")
    choices_field: str | None = Field(
        None, description="the field holding each row's answer choices (a list or delimited text)"
    )
    choices_delimiter: str = Field("|", min_length=1, description="what separates choices in delimited text")
    label_set: tuple[str, ...] | None = Field(
        None, description="every allowed label (also the candidates of rank evaluation)"
    )
    metric: Literal["exact_match", "choice", "numeric", "equation"] = Field(
        "exact_match", description="how an answer is scored (choice: also by its letter; equation: numeric)"
    )
    id_field: str | None = Field(None, description="the field holding each row's id (default: its position)")
    rationale_field: str | None = Field(
        None, description="the field holding an LLM rationale (llm_rationales)"
    )
    llm_label_field: str | None = Field(None, description="the field holding the LLM's answer")

    @field_validator("input_template")
    @classmethod
    def _template_fields(cls, template: str) -> str:
        template_fields(template)
        return template

    @field_validator("label_set")
    @classmethod
    def _label_set_unique(cls, labels: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if labels is not None and (not labels or len(set(labels)) != len(labels)):
            raise ValueError(f"label_set must be non-empty and without repeats, got {list(labels)}")
        return labels

    @model_validator(mode="after")
    def _files_and_metric(self) -> CustomTaskConfig:
        if self.train_file is None and self.test_file is None:
            raise ValueError("a custom task needs at least train_file or test_file")
        if self.test_fraction is not None and (self.test_file is not None or self.train_file is None):
            raise ValueError("test_fraction holds test rows out of train_file: give it without test_file")
        if self.metric == "choice" and self.choices_field is None and self.label_set is None:
            raise ValueError("metric 'choice' needs choices_field or label_set (the letters index them)")
        return self


def template_fields(template: str) -> list[str]:
    """The ``{field}`` names of an input template, refusing format specs and attribute access."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise ValueError(
            f"input_template {template!r} is malformed: {err} (literal braces are {{{{ }}}})"
        ) from err
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or any(ch in name for ch in ".[]"):
            raise ValueError(f"input_template field {{{name}}} must be a plain field name like {{question}}")
        names.append(name)
    if not names:
        raise ValueError(f"input_template {template!r} has no {{field}}: the input would have no content")
    return names
