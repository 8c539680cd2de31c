"""Rationale selection settings: the one home of every selection default.

``Config.selection`` is this model, and ``rationales.select.Selection`` is built from it
only, so the pipeline, the analyses and ``tokendistill analyze`` pick the same words for
the same settings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RATIONALE_K_MAX", "RationaleSize", "SelectionConfig"]

RATIONALE_K_MAX = 64
# A rationale size: selection.k, a student's k, every sweep value.
RationaleSize = Annotated[int, Field(ge=1, le=RATIONALE_K_MAX)]


class SelectionConfig(BaseModel):
    """How top-k rationale words are picked from stored scores (no recomputation).

    * ``k``: the rationale size students train on and the analyses report at.
    * ``unit``: ``word`` merges sub-word tokens by character offsets; ``token`` keeps pieces.
    * ``word_agg``: a word's score is the ``sum`` or ``max`` of its tokens' scores.
    * ``filters``: units never selected (``punctuation`` runs, ``stopwords``).
    * ``keep_numbers``: numbers (digits or spelled out) pass every filter.
    * ``order``: the selected words in ``input`` order or best ``score`` first.
    * ``dedupe``: k counts distinct words (case-insensitive), keeping the best occurrence.
    * ``stopwords``: a custom stopword list; ``None`` is the built-in English list.
    """

    model_config = ConfigDict(extra="forbid")

    k: RationaleSize = 5
    unit: Literal["token", "word"] = "word"
    word_agg: Literal["sum", "max"] = "sum"
    filters: list[Literal["stopwords", "punctuation"]] = Field(default_factory=lambda: ["punctuation"])
    keep_numbers: bool = True
    order: Literal["score", "input"] = "input"
    dedupe: bool = True
    stopwords: list[str] | None = None
