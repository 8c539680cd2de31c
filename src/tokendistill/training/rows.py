"""Training rows: (prompt, target, weight, task) built from Examples for each student mode.

Modes (Distilling Step-by-Step, Hsieh et al. 2023, arXiv 2305.02301):

* ``standard``: ``<text>`` -> label. Labels are gold, or a teacher's predictions (standard
  distillation). Teacher fine-tuning is this mode on gold labels.
* ``multitask``: ``predict: <text>`` -> label (weight alpha) and ``explain: <text>`` ->
  rationale (weight 1 - alpha). Only the ``predict:`` task runs at inference.
* ``hints``: ``<text>\\nHints: <rationale>`` -> label. An ablation: the rationale is an input,
  so the teacher is needed at inference too.

The prefixes and the hint separator are template text (``Example.with_prefix`` keeps the
content spans right for anyone who attributes a student's prompt).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from tokendistill.tasks.example import Example
from tokendistill.tasks.llm_rationales import RATIONALE_KEY

Mode = Literal["standard", "multitask", "hints"]
MODES: tuple[Mode, ...] = ("standard", "multitask", "hints")

PREDICT_PREFIX = "predict: "
EXPLAIN_PREFIX = "explain: "
HINTS_SEPARATOR = "\nHints: "

# Task tags index the per-task token counts of the loss (losses.py).
TASK_LABEL = 0
TASK_RATIONALE = 1
TASK_NAMES: tuple[str, ...] = ("label", "rationale")

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class TrainingRow:
    """One (prompt, target) pair with its loss weight and task tag (TASK_LABEL / TASK_RATIONALE).

    Rows of the same ``example_id`` are batched together, so both DSS tasks of an example
    always share a step.
    """

    example_id: str
    prompt: str
    target: str
    weight: float
    task: int

    def __post_init__(self) -> None:
        if self.task not in range(len(TASK_NAMES)):
            raise ValueError(f"row {self.example_id!r}: unknown task tag {self.task}")
        if self.weight < 0:
            raise ValueError(f"row {self.example_id!r}: negative weight {self.weight}")


def label_prompt(example: Example, mode: Mode, hint: str | None = None) -> str:
    """The prompt of the label task, identical at training and inference time."""
    if mode == "standard":
        return example.text
    if mode == "multitask":
        return example.with_prefix(PREDICT_PREFIX).text
    if mode == "hints":
        if hint is None:
            raise ValueError(f"example {example.id!r}: mode 'hints' needs a rationale for the input")
        return example.text + HINTS_SEPARATOR + hint
    raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")


def label_prompts(
    examples: Sequence[Example], mode: Mode, hints: Mapping[str, str] | None = None
) -> list[str]:
    """``label_prompt`` for every example; ``hints`` (id -> rationale) only for mode 'hints'."""
    if mode == "hints":
        return [label_prompt(ex, mode, _lookup(hints, ex.id, "hints")) for ex in examples]
    return [label_prompt(ex, mode) for ex in examples]


def build_rows(
    examples: Iterable[Example],
    mode: Mode,
    *,
    rationales: Mapping[str, str] | None = None,
    teacher_labels: Mapping[str, str] | None = None,
    alpha: float = 0.5,
) -> list[TrainingRow]:
    """Training rows for ``mode``.

    ``rationales`` (example id -> rationale text) is required by 'multitask' and 'hints';
    ``teacher_labels`` (example id -> answer) replaces gold labels when given. ``alpha``
    weighs the label task in 'multitask' (the rationale task gets 1 - alpha).
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    rows: list[TrainingRow] = []
    for ex in examples:
        label = _lookup(teacher_labels, ex.id, "teacher_labels") if teacher_labels is not None else ex.label
        if mode == "multitask":
            rationale = _lookup(rationales, ex.id, "rationales")
            rows.append(TrainingRow(ex.id, label_prompt(ex, mode), label, alpha, TASK_LABEL))
            explain = ex.with_prefix(EXPLAIN_PREFIX).text
            rows.append(TrainingRow(ex.id, explain, rationale, 1.0 - alpha, TASK_RATIONALE))
        else:
            hint = _lookup(rationales, ex.id, "rationales") if mode == "hints" else None
            rows.append(TrainingRow(ex.id, label_prompt(ex, mode, hint), label, 1.0, TASK_LABEL))
    return rows


def _lookup(table: Mapping[str, str] | None, key: str, name: str) -> str:
    if table is None:
        raise ValueError(f"this mode needs {name} (example id -> text), none were given")
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"{name} has no entry for example {key!r}") from None


# ------------------------------------------------------------------ rationale sources
def content_words(example: Example) -> list[str]:
    """Whitespace-separated words of the content spans, in input order (never template text)."""
    return [m.group() for s, e in example.content_spans for m in _WORD.finditer(example.text[s:e])]


def random_word_rationales(examples: Iterable[Example], k: int, *, seed: int = 0) -> dict[str, str]:
    """k random content words per example, in input order: the 'random tokens' control.

    Each example draws from its own generator seeded by (seed, id), so a rationale does not
    change when other examples are added or reordered.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    out = {}
    for ex in examples:
        words = content_words(ex)
        picked = sorted(random.Random(f"{seed}:{ex.id}").sample(range(len(words)), min(k, len(words))))
        out[ex.id] = " ".join(words[i] for i in picked)
    return out


def gold_answer_rationales(examples: Iterable[Example]) -> dict[str, str]:
    """The gold answer itself as the rationale: a leakage control (the explain task then
    teaches the label directly, which bounds what a rationale that names the answer can give)."""
    return {ex.id: ex.label for ex in examples}


def llm_rationales(examples: Iterable[Example], key: str = RATIONALE_KEY) -> dict[str, str]:
    """LLM (PaLM) rationales the task loader put in ``example.meta[key]`` (load the task with
    ``llm_rationales=True``)."""
    out = {}
    for ex in examples:
        if key not in ex.meta:
            raise KeyError(f"example {ex.id!r} has no meta[{key!r}]; the task loader did not attach one")
        out[ex.id] = str(ex.meta[key])
    return out
