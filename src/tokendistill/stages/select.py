"""Interim: the Selection of a config (replaced when selection settings move to rationales/)."""

from __future__ import annotations

from tokendistill.config import Config
from tokendistill.rationales.select import Selection


def selection_of(config: Config) -> Selection:
    s = config.selection
    return Selection(
        unit=s.unit, word_agg=s.word_agg, filters=tuple(s.filters), keep_numbers=s.keep_numbers, order=s.order
    )
