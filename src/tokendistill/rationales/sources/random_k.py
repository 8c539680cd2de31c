"""``random``: k random words (units) per example, the control every rationale is measured against.

Not to be confused with the ``random`` *attribution method* (``attribution.methods.simple.
RandomControl``), which gives every token a random score; this source picks whole units at
random and needs no attribution method.
"""

from __future__ import annotations

from pydantic import BaseModel

from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.marks import Marks, marks_of
from tokendistill.rationales.select import Unit
from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class RandomSource(RationaleSource):
    """k units drawn from the pool top-k draws from (same unit, filters and template
    exclusion, in input order), seeded by (seed, example id): the same draw as the random-k
    baselines of the analyses, so the control is fair and does not depend on record order.
    Its marks are the same k words, weighed alike: a guided student's random-mask control."""

    name = "random"
    summary = "control: k random words (the method `random` scores tokens)"
    marks_words = True

    def describe(self, options: BaseModel | None) -> str:
        """Plainly not the ``random`` attribution method's scores (those are "random scores")."""
        return "random selection"

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        return {key: " ".join(u.text for u in units) for key, (units, _) in self._draws(request).items()}

    def marks(self, request: SourceRequest) -> dict[str, Marks]:
        return {key: marks_of(units, pool) for key, (units, pool) in self._draws(request).items()}

    def _draws(self, request: SourceRequest) -> dict[str, tuple[list[Unit], list[Unit]]]:
        """Example id -> (the k drawn units, the pool they were drawn from)."""
        selection, records_of = request.selected()
        draws = {}
        for record in records_of(None, request.split):
            pool = selection.eligible(record)
            draws[record.example_id] = (random_units(pool, request.k, request.seed, record.example_id), pool)
        return draws
