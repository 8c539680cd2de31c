"""A rationale's marks (character spans of the example's text) on a student's prompt tokens.

The student's tokenizer gives every prompt token its character range in the prompt (None for
special, padding and frame tokens); the label prompt is ``prefix + example.text``, so a mark's
span shifted by the prefix's length lands on every token whose range overlaps it, whatever
either tokenizer. Nothing here reads a token id, so teacher and student may tokenize apart.

``GuidanceTerm`` is the base of the guided modes' loss terms: it adds, per label row, the
marks' tensors to the collated batch (``guide_q``: the marks' weights spread over their
tokens, a distribution per row; ``guide_marked`` / ``guide_unmarked``: tokens of marked words
and of the other eligible words), and hands its subclasses the label rows as one batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch, Offset
from tokendistill.rationales.marks import Marks
from tokendistill.training.rows import TASK_LABEL, TrainingRow
from tokendistill.training.terms import LossTerm, StepBatch

GUIDE_KEYS = ("guide_q", "guide_marked", "guide_unmarked")


@dataclass(frozen=True)
class TokenMarks:
    """Per prompt column: the share of the marks' weight (``q``), and whether the token
    belongs to a marked word or to another eligible (unmarked) word."""

    q: list[float]
    marked: list[bool]
    unmarked: list[bool]


def token_marks(offsets: Sequence[Offset], marks: Marks, shift: int) -> TokenMarks:
    """``marks`` (spans of the text) on the prompt tokens whose ``offsets`` are given (spans
    of ``prefix + text``, ``shift`` = the prefix's length). A word's weight is shared equally
    by its tokens; a token overlapping a marked word is marked, whatever else it overlaps."""

    def hits(spans: Sequence[tuple[int, int]]) -> list[list[int]]:
        return [
            [
                j
                for j, (s, e) in enumerate(spans)
                if off is not None and s + shift < off[1] and off[0] < e + shift
            ]
            for off in offsets
        ]

    on_marked, on_unmarked = hits(marks.marked), hits(marks.unmarked)
    per_word = [0] * len(marks.marked)
    for words in on_marked:
        for j in words:
            per_word[j] += 1
    q = [sum(marks.weights[j] / per_word[j] for j in words) for words in on_marked]
    marked = [bool(words) for words in on_marked]
    unmarked = [bool(other) and not m for other, m in zip(on_unmarked, marked, strict=True)]
    return TokenMarks(q, marked, unmarked)


def label_batch(inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, EncodedBatch]:
    """The label rows of a collated batch that carry marks: their indices and their batch."""
    rows = ((inputs["row_task"] == TASK_LABEL) & inputs["guide_marked"].any(-1)).nonzero().squeeze(-1)
    batch = EncodedBatch(
        prompt_ids=inputs["prompt_ids"][rows],
        prompt_mask=inputs["prompt_mask"][rows],
        target_ids=inputs["target_ids"][rows],
        target_mask=inputs["target_mask"][rows],
        prompt_offsets=[],
    )
    return rows, batch


class GuidanceTerm(LossTerm):
    """A term that guides the label task by the rationales' ``marks`` (example id -> marks in
    the example's text; the label prompt is the text behind a prefix of ``shift`` characters),
    with weight ``weight``."""

    def __init__(self, marks: Mapping[str, Marks], shift: int, weight: float) -> None:
        self.marks = marks
        self.shift = shift
        self.weight = weight

    def collate(
        self,
        rows: Sequence[TrainingRow],
        out: dict[str, torch.Tensor],
        adapter: ModelAdapter,
        encoded: EncodedBatch,
    ) -> None:
        shape = out["prompt_ids"].shape
        q = torch.zeros(shape, dtype=torch.float32)
        marked = torch.zeros(shape, dtype=torch.bool)
        unmarked = torch.zeros(shape, dtype=torch.bool)
        for b, row in enumerate(rows):
            if row.task != TASK_LABEL:
                continue
            if row.example_id not in self.marks:
                raise KeyError(f"the rationales' marks have no entry for example {row.example_id!r}")
            found = token_marks(encoded.prompt_offsets[b], self.marks[row.example_id], self.shift)
            q[b] = torch.tensor(found.q)
            marked[b] = torch.tensor(found.marked)
            unmarked[b] = torch.tensor(found.unmarked)
        out.update(guide_q=q, guide_marked=marked, guide_unmarked=unmarked)

    def applies(self, inputs: Mapping[str, torch.Tensor], step: int, training: bool) -> bool:
        """Training, with a weight, and some label row has marks."""
        return training and self.weight > 0 and bool(inputs["guide_marked"].any())

    def active(self, batch: StepBatch) -> bool:
        """Whether the term is computed on ``batch``: it applies, and gradients are on."""
        return torch.is_grad_enabled() and self.applies(batch.inputs, batch.step, batch.training)

    @staticmethod
    def per_label_token(per_row: torch.Tensor, sub: EncodedBatch, batch: StepBatch) -> torch.Tensor:
        """A per-row value [b] as a share of the label task's token-mean over the optimizer
        step: weighted by the row's target tokens, divided by the step's label tokens."""
        tokens = sub.target_mask.sum(-1).to(per_row.dtype)
        return (per_row * tokens).sum() / batch.task_tokens[TASK_LABEL].clamp(min=1)
