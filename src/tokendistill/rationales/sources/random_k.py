"""``random``: k random units per example, the control every rationale is measured against."""

from __future__ import annotations

from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class RandomSource(RationaleSource):
    """k units drawn from the pool top-k draws from (same unit, filters and template
    exclusion, in input order), seeded by (seed, example id): the same draw as the random-k
    baselines of the analyses, so the control is fair and does not depend on record order."""

    name = "random"

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        selection, records_of = request.selected()
        records = records_of(None, request.split)
        eligible = selection.eligible
        return {
            r.example_id: " ".join(
                u.text for u in random_units(eligible(r), request.k, request.seed, r.example_id)
            )
            for r in records
        }
