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
    """How top-k rationale words are picked from stored scores (no recomputation)."""

    model_config = ConfigDict(extra="forbid")

    k: RationaleSize = Field(5, description="the rationale size students train on and the analyses report at")
    unit: Literal["token", "word"] = Field(
        "word", description="word merges sub-word tokens by character offsets; token keeps pieces"
    )
    word_agg: Literal["sum", "max"] = Field("sum", description="a word's score from its tokens' scores")
    filters: list[Literal["stopwords", "punctuation"]] = Field(
        default_factory=lambda: ["punctuation"], description="units never selected"
    )
    keep_numbers: bool = Field(True, description="numbers (digits or spelled out) pass every filter")
    order: Literal["score", "input"] = Field(
        "input", description="the selected words in input order or best score first"
    )
    dedupe: bool = Field(
        True, description="k counts distinct words (case-insensitive), keeping the best occurrence"
    )
    stopwords: list[str] | None = Field(
        None, description="a custom stopword list (default: built-in English)"
    )
