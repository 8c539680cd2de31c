"""``random``: k random words (units) per example, the control every rationale is measured against.

Not to be confused with the ``random`` *attribution method* (``attribution.methods.simple.
RandomControl``), which gives every token a random score; this source picks whole units at
random and needs no attribution method.
"""

from __future__ import annotations

from pydantic import BaseModel

from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.marks import Marks, marks_of
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
        return {key: " ".join(u.text for u in units) for key, units in self._draws(request).items()}

    def marks(self, request: SourceRequest) -> dict[str, Marks]:
        selection, records_of = request.selected()
        pools = {r.example_id: selection.eligible(r) for r in records_of(None, request.split)}
        return {key: marks_of(units, pools[key]) for key, units in self._draws(request).items()}

    def _draws(self, request: SourceRequest) -> dict:
        selection, records_of = request.selected()
        eligible = selection.eligible
        return {
            r.example_id: random_units(eligible(r), request.k, request.seed, r.example_id)
            for r in records_of(None, request.split)
        }
