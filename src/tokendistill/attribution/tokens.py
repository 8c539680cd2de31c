"""From a batch's prompt tokens to ``TokenAttribution`` records in the example's own text.

Prompts are ``prefix + example.text``; the adapter gives each prompt token its character
range in the prompt, or None for special, padding and adapter-added suffix tokens. Those
None tokens are dropped, tokens lying wholly inside the prefix are dropped, and the rest
are shifted back into ``example.text`` coordinates (a token straddling the prefix boundary
is clipped to its part in the text).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tokendistill.attribution.result import TokenAttribution
from tokendistill.models.batch import Offset
from tokendistill.tasks.example import Example


@dataclass(frozen=True)
class TokenSlot:
    """A kept prompt token: its column ``position`` in the batch and its range in ``example.text``."""

    position: int
    start: int
    end: int
    content: bool


def token_slots(offsets: Sequence[Offset], example: Example, prefix_len: int) -> list[TokenSlot]:
    """Kept tokens of one prompt row, in order (``offsets`` are in prompt coordinates)."""
    slots = []
    for position, offset in enumerate(offsets):
        if offset is None or offset[1] <= prefix_len:
            continue
        start, end = max(offset[0] - prefix_len, 0), offset[1] - prefix_len
        slots.append(TokenSlot(position, start, end, example.is_content(start, end)))
    return slots


def content_mask(shape: torch.Size, slots: Sequence[Sequence[TokenSlot]]) -> torch.Tensor:
    """[B, P] bool: True at the columns of content tokens."""
    mask = torch.zeros(shape, dtype=torch.bool)
    for row, row_slots in enumerate(slots):
        for slot in row_slots:
            mask[row, slot.position] = slot.content
    return mask


@dataclass(frozen=True)
class Outcome:
    """What was forced and how the teacher did, for one example."""

    target: str
    teacher_answer: str
    teacher_correct: bool


def to_record(
    example: Example,
    split: str,
    slots: Sequence[TokenSlot],
    tokens: Sequence[str],
    scores: Sequence[float],
    outcome: Outcome,
) -> TokenAttribution:
    """One record; ``tokens``/``scores`` are the full prompt row, indexed by slot position."""
    kept_scores = [float(scores[s.position]) for s in slots]
    return TokenAttribution(
        example_id=example.id,
        split=split,
        text=example.text,
        tokens=[tokens[s.position] for s in slots],
        offsets=[(s.start, s.end) for s in slots],
        content=[s.content for s in slots],
        scores=kept_scores,
        target=outcome.target,
        teacher_answer=outcome.teacher_answer,
        gold=example.label,
        teacher_correct=outcome.teacher_correct,
        finite=all(math.isfinite(v) for v, s in zip(kept_scores, slots, strict=True) if s.content),
    )
