"""Rationales: the attribution artifact on disk, rationale selection, and analyses.

Selection and analyses are pure functions of stored ``TokenAttribution`` records, so they
can be re-run with any k or filter without touching the teacher.
"""

from tokendistill.rationales.select import (
    Rationale,
    Selection,
    Unit,
    build_units,
    rationale_text,
    select_rationale,
)
from tokendistill.rationales.store import (
    merge_shards,
    read_attributions,
    read_metadata,
    write_attributions,
)
from tokendistill.rationales.writer import AttributionWriter

__all__ = [
    "AttributionWriter",
    "Rationale",
    "Selection",
    "Unit",
    "build_units",
    "merge_shards",
    "rationale_text",
    "read_attributions",
    "read_metadata",
    "select_rationale",
    "write_attributions",
]
