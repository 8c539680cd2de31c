"""Rationales: rationale selection and analyses over stored attribution records.

Selection and analyses are pure functions of stored ``TokenAttribution`` records (the
artifact itself lives in ``tokendistill.attribution.store``), so they can be re-run with any
k or filter without touching the teacher.
"""

from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Rationale, Selection, Unit, build_units

__all__ = [
    "Rationale",
    "Selection",
    "SelectionConfig",
    "Unit",
    "build_units",
]
