"""The task section proposed for a data file: its input template, label field, label set,
metric, split and rationale size, each read off the data or taken from the user's flags."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokendistill.errors import StarterError
from tokendistill.rationales.config import SelectionConfig
from tokendistill.starter.profile import DataProfile
from tokendistill.tasks.config import TaskConfig
from tokendistill.tasks.metrics import label_problem

LABEL_NAMES = (
    "label",
    "labels",
    "answer",
    "target",
    "gold",
    "gold_label",
    "class",
    "category",
    "output",
    "y",
)
ID_NAMES = ("id", "uid", "guid", "idx", "example_id", "qid")
CHOICE_NAMES = ("choices", "options", "candidates")
CHOICES_DELIMITER = "|"  # CustomTaskConfig's default delimiter
# Fewer distinct labels than this, each seen twice on average, make a closed label set.
MAX_LABELS = 20
TEST_FRACTION = 0.1
SIBLING_WORDS = {"valid": ("valid", "validation", "dev"), "test": ("test",)}
# Characters that cannot sit inside a template's {field}.
_TEMPLATE_UNSAFE = re.compile(r"[{}\[\].:!]")


@dataclass(frozen=True)
class TaskProposal:
    """A ``custom`` task section and what the rest of the config needs from the data."""

    custom: dict[str, Any]
    eval_mode: str
    k: int
    notes: list[str] = field(default_factory=list)


def guess_label_field(columns: list[str]) -> str | None:
    """The column whose name says it holds the label, if one does."""
    by_name = {column.lower(): column for column in columns}
    return next((by_name[name] for name in LABEL_NAMES if name in by_name), None)


def propose_task(
    profile: DataProfile, label_field: str, input_fields: list[str] | None = None
) -> TaskProposal:
    """The ``custom`` section for ``profile``'s file, with ``label_field`` as the label."""
    _require_columns(profile, [label_field, *(input_fields or [])])
    id_field = _named_column(
        profile, ID_NAMES, lambda values: len(set(map(str, values))) == len(profile.rows)
    )
    choices_field = _named_column(profile, CHOICE_NAMES, _holds_choices)
    taken = {label_field, id_field, choices_field}
    inputs = input_fields or [c for c in profile.columns if c not in taken and profile.texts(c)]
    if not inputs:
        raise StarterError(f"{profile.path}: no column is left for the input; give --input-fields")
    custom: dict[str, Any] = {**_split(profile.path), "input_template": _template(inputs, profile.path)}
    custom["label_field"] = label_field
    labels = profile.texts(label_field)
    label_set = _label_set(labels) if choices_field is None else None
    custom.update({"choices_field": choices_field, "id_field": id_field, "label_set": label_set})
    numeric = labels and all(label_problem("numeric", label) is None for label in labels)
    custom["metric"] = (
        "choice" if choices_field else ("numeric" if numeric and not label_set else "exact_match")
    )
    custom = {key: value for key, value in custom.items() if value is not None}
    notes = _notes(profile, custom)
    return TaskProposal(
        custom, "rank" if label_set or choices_field else "generate", _k(profile, inputs), notes
    )


def _require_columns(profile: DataProfile, names: list[str]) -> None:
    for name in names:
        if name not in profile.columns:
            raise StarterError(f"{profile.path}: no column {name!r} (columns: {', '.join(profile.columns)})")


def _named_column(profile: DataProfile, names: tuple[str, ...], fits: Any) -> str | None:
    """The first column with one of ``names`` (any case) whose values ``fits`` accepts."""
    for column in profile.columns:
        values = profile.values(column)
        if column.lower() in names and values and fits(values):
            return column
    return None


def _holds_choices(values: list[Any]) -> bool:
    return all(isinstance(v, list) or (isinstance(v, str) and CHOICES_DELIMITER in v) for v in values)


def _template(inputs: list[str], path: Path) -> str:
    unsafe = [name for name in inputs if _TEMPLATE_UNSAFE.search(name)]
    if unsafe:
        raise StarterError(
            f"{path}: column {unsafe[0]!r} cannot be a template field; rename it or leave it out"
        )
    if len(inputs) == 1:
        return f"{{{inputs[0]}}}"
    return "\n".join(f"{name.replace('_', ' ').capitalize()}: {{{name}}}" for name in inputs)


def _label_set(labels: list[str]) -> list[str] | None:
    distinct = sorted(set(labels))
    return distinct if len(distinct) <= MAX_LABELS and 2 * len(distinct) <= len(labels) else None


def _split(path: Path) -> dict[str, Any]:
    """The file as train; its valid/test siblings (train -> dev, test) when they exist, else a
    held-out test share."""
    files: dict[str, Any] = {"train_file": path.name}
    if "train" in path.stem.lower():
        for role, words in SIBLING_WORDS.items():
            for word in words:
                sibling = path.with_name(re.sub("train", word, path.name, flags=re.IGNORECASE))
                if sibling.is_file() and f"{role}_file" not in files:
                    files[f"{role}_file"] = sibling.name
    if "test_file" not in files:
        files["test_fraction"] = TEST_FRACTION
    return files


def _k(profile: DataProfile, inputs: list[str]) -> int:
    """The paper's k, or fewer when the typical input has fewer words."""
    words = [sum(len(str(row.get(name, "")).split()) for name in inputs) for row in profile.rows]
    default = SelectionConfig.model_fields["k"].default
    return max(1, min(default, int(statistics.median(words)) if words else default))


def _notes(profile: DataProfile, custom: dict[str, Any]) -> list[str]:
    labels = custom.get("label_set")
    held = TaskConfig.model_fields["valid_fraction"].default
    valid = custom.get("valid_file", f"{held:.0%} of the rest held out (task.valid_fraction)")
    test = custom.get(
        "test_file", f"{custom.get('test_fraction', 0):.0%} of the rows held out (test_fraction)"
    )
    return [
        f"input template: {custom['input_template']!r}",
        f"label field: {custom['label_field']}"
        + (f" ({len(labels)} labels: {', '.join(labels)})" if labels else " (open-ended answers)"),
        f"metric: {custom['metric']}",
        *([f"id field: {custom['id_field']}"] if "id_field" in custom else []),
        *([f"choices field: {custom['choices_field']}"] if "choices_field" in custom else []),
        f"split: train = {custom['train_file']}, valid = {valid}, test = {test}",
    ]
