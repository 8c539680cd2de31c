"""Rationales: the attribution artifact on disk, rationale selection, and analyses.

Selection and analyses are pure functions of stored ``TokenAttribution`` records, so they
can be re-run with any k or filter without touching the teacher.
"""

from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Rationale, Selection, Unit, build_units
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
    "SelectionConfig",
    "Unit",
    "build_units",
    "merge_shards",
    "read_attributions",
    "read_metadata",
    "write_attributions",
]
