"""The per-example output of attribution, shared by attribution, rationales and report."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class TokenAttribution:
    """Scores of one example's prompt tokens.

    Only tokens that map to characters of ``text`` are kept (special tokens and prompt
    suffixes the model adapter adds are dropped). ``offsets[i]`` is the half-open character
    range of token i in ``text``; ``content[i]`` says whether it overlaps the example's
    content spans (template tokens are stored but never selected). ``finite`` is False when
    any content score was NaN/inf: such rows are kept, flagged, and never ranked silently.
    """

    example_id: str
    split: str
    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]]
    content: list[bool]
    scores: list[float]
    target: str
    teacher_answer: str
    gold: str
    teacher_correct: bool
    finite: bool = True

    def __post_init__(self) -> None:
        n = len(self.tokens)
        if not (len(self.offsets) == len(self.content) == len(self.scores) == n):
            raise ValueError(
                f"example {self.example_id!r}: tokens/offsets/content/scores lengths differ "
                f"({n}, {len(self.offsets)}, {len(self.content)}, {len(self.scores)})"
            )
        self.offsets = [(int(s), int(e)) for s, e in self.offsets]
        self.finite = self.finite and all(
            math.isfinite(s) for s, c in zip(self.scores, self.content, strict=True) if c
        )
