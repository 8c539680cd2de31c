"""Where a rationale says the answer lies, as character spans of the example's own text.

A rationale's *text* is what a Distilling Step-by-Step student learns to say; its *marks* are
what a guided student (``training/modes/guided*.py``) learns to decide by: the selected words'
spans with a weight each, and the spans of every other word the selection could have chosen.
Spans are characters of ``Example.text``, never token ids, so any student tokenizer maps them
onto its own tokens through its character offsets (``training/guidance/tokens.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokendistill.rationales.select import Unit

Span = tuple[int, int]


@dataclass(frozen=True)
class Marks:
    """One example's marks: ``marked`` spans (input order) with ``weights`` summing to 1, and
    the ``unmarked`` spans of the other eligible words (filters applied, template excluded)."""

    marked: tuple[Span, ...]
    weights: tuple[float, ...]
    unmarked: tuple[Span, ...]

    def __post_init__(self) -> None:
        if len(self.marked) != len(self.weights):
            raise ValueError(f"{len(self.marked)} marked spans but {len(self.weights)} weights")

    def as_json(self) -> list:
        """A JSON-able form (content hashes of a student's inputs)."""
        return [[list(s) for s in self.marked], list(self.weights), [list(s) for s in self.unmarked]]


def marks_of(chosen: Sequence[Unit], pool: Sequence[Unit], scores: Sequence[float] | None = None) -> Marks:
    """Marks that select ``chosen`` among the eligible ``pool``; weights proportional to the
    positive part of ``scores`` (one per chosen unit), uniform when None or none is positive."""
    order = sorted(range(len(chosen)), key=lambda i: (chosen[i].start, chosen[i].end))
    spans = tuple((chosen[i].start, chosen[i].end) for i in order)
    raw = [max(float(scores[i]), 0.0) for i in order] if scores is not None else []
    total = sum(raw)
    weights = tuple(v / total for v in raw) if total > 0 else tuple(1.0 / len(spans) for _ in spans)
    taken = set(spans)
    unmarked = tuple((u.start, u.end) for u in pool if (u.start, u.end) not in taken)
    return Marks(spans, weights, unmarked)
