"""Rationales: rationale selection and analyses over stored attribution records.

Selection and analyses are pure functions of stored ``TokenAttribution`` records (the
artifact itself lives in ``tokendistill.attribution.store``), so they can be re-run with any
k or filter without touching the teacher.
"""

from tokendistill.rationales.select import (
    Rationale,
    Selection,
    Unit,
    build_units,
    rationale_text,
    select_rationale,
)

__all__ = [
    "Rationale",
    "Selection",
    "Unit",
    "build_units",
    "rationale_text",
    "select_rationale",
]
