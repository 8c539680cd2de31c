"""The analyze stage's result, typed: one frozen row type per table, and its JSON form.

``AnalysisResult.to_json()`` is analysis.json (and the analysis part of a report's
metrics.json): rows keyed by their column headers (``"teacher right"``, ``"n wrong"``,
``f"top-{k} Jaccard"``, ...), k-sweeps keyed by k as text, and ``null`` wherever a value is
undefined (NaN, no examples). ``from_json()`` reads that form back. Each row type names its
columns next to its fields, so the HTML and Markdown tables never guess headers from keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tokendistill.rationales.analysis.erasure_result import (
    FIGURES,
    AopcRow,
    ErasureScores,
    FaithfulnessRow,
    Interval,
)
from tokendistill.rationales.analysis.rows import JSON, Row, finite_or_null
from tokendistill.rationales.analysis.scale import ScaleName, scale_json

__all__ = [
    "CHANCE",
    "FIGURES",
    "AgreementRow",
    "AnalysisResult",
    "AopcRow",
    "ErasureScores",
    "EvidenceRow",
    "FaithfulnessRow",
    "Interval",
    "OverlapRow",
    "Row",
    "Sweep",
    "finite_or_null",
]

Sweep = dict[int, float | None]

# The evidence sweep's random-k line, stored next to the methods' lines.
CHANCE = "chance (random-k)"


@dataclass(frozen=True)
class OverlapRow(Row):
    """Gold-answer overlap of one method's top-k, overall and by teacher right/wrong."""

    method: str
    k: int
    examples: int
    overlap: float | None
    teacher_right: float | None
    n_right: int
    teacher_wrong: float | None
    n_wrong: int
    nonfinite: int

    COLUMNS: ClassVar = (
        ("method", "method"),
        ("k", "k"),
        ("examples", "examples"),
        ("overlap", "overlap"),
        ("teacher right", "teacher_right"),
        ("n right", "n_right"),
        ("teacher wrong", "teacher_wrong"),
        ("n wrong", "n_wrong"),
        ("non-finite", "nonfinite"),
    )


@dataclass(frozen=True)
class EvidenceRow(Row):
    """How often one method's top-k (and k random words) hit the planted evidence."""

    method: str
    k: int
    examples: int
    hit_rate: float | None
    random_rate: float | None

    COLUMNS: ClassVar = (
        ("method", "method"),
        ("k", "k"),
        ("examples", "examples"),
        ("top-k hit rate", "hit_rate"),
        ("random-k hit rate", "random_rate"),
    )


_JACCARD = re.compile(r"top-(\d+) Jaccard")


@dataclass(frozen=True)
class AgreementRow(Row):
    """Top-k Jaccard and Spearman between two methods (means over the examples)."""

    method_a: str
    method_b: str
    k: int
    jaccard: float | None
    spearman: float | None
    examples: int

    @property
    def methods(self) -> str:
        return f"{self.method_a} vs {self.method_b}"

    def columns(self) -> tuple[tuple[str, str], ...]:
        return (
            ("methods", "methods"),
            (f"top-{self.k} Jaccard", "jaccard"),
            ("Spearman", "spearman"),
            ("examples", "examples"),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AgreementRow:
        (key,) = [key for key in data if _JACCARD.fullmatch(key)]
        method_a, method_b = data["methods"].split(" vs ")
        k = int(_JACCARD.fullmatch(key).group(1))  # type: ignore[union-attr]
        return cls(method_a, method_b, k, data[key], data["Spearman"], data["examples"])


@dataclass(frozen=True)
class AnalysisResult:
    """Every analysis of one run: rows at the selection's k, and sweeps over k.

    ``k_sweep`` and ``evidence_sweep`` map method -> k -> share (gold-answer overlap,
    evidence hit rate); ``evidence_chance`` is the random-k hit rate per k (the same pool
    for every method). ``gold_in_input`` is the share of examples whose gold answer appears
    in the input: the ceiling of gold overlap. ``faithfulness`` (at k) and ``aopc`` (over
    rationale-size bins: one "AOPC" row per method, then its bins) need the teacher, so the
    model-free analyses leave them empty; ``faithfulness_scale`` names the scale they are on
    (``scale.py``).
    """

    gold_in_input: float | None
    overlap: tuple[OverlapRow, ...]
    k_sweep: dict[str, Sweep]
    evidence_sweep: dict[str, Sweep]
    evidence_chance: Sweep
    agreement: tuple[AgreementRow, ...]
    evidence: tuple[EvidenceRow, ...]
    faithfulness: tuple[FaithfulnessRow, ...] = ()
    aopc: tuple[AopcRow, ...] = ()
    faithfulness_scale: ScaleName | None = None

    def evidence_lines(self) -> dict[str, Sweep]:
        """The evidence sweep as plot lines: the first method, the chance line, the rest."""
        lines: dict[str, Sweep] = {}
        for method, sweep in self.evidence_sweep.items():
            lines[method] = sweep
            lines.setdefault(CHANCE, self.evidence_chance)
        return lines

    def to_json(self) -> JSON:
        return {
            "gold_in_input": finite_or_null(self.gold_in_input),
            "overlap": [r.to_json() for r in self.overlap],
            "k_sweep": finite_or_null(self.k_sweep),
            "evidence_sweep": finite_or_null(self.evidence_lines()),
            "agreement": [r.to_json() for r in self.agreement],
            "evidence": [r.to_json() for r in self.evidence],
            "faithfulness": [r.to_json() for r in self.faithfulness],
            "aopc": [r.to_json() for r in self.aopc],
            "faithfulness_scale": scale_json(self.faithfulness_scale),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnalysisResult:
        lines = _sweeps(data.get("evidence_sweep", {}))
        chance = lines.pop(CHANCE, {})
        return cls(
            gold_in_input=data.get("gold_in_input"),
            overlap=tuple(OverlapRow.from_json(r) for r in data["overlap"]),
            k_sweep=_sweeps(data["k_sweep"]),
            evidence_sweep=lines,
            evidence_chance=chance,
            agreement=tuple(AgreementRow.from_json(r) for r in data["agreement"]),
            evidence=tuple(EvidenceRow.from_json(r) for r in data.get("evidence", [])),
            faithfulness=tuple(FaithfulnessRow.from_json(r) for r in data["faithfulness"]),
            aopc=tuple(AopcRow.from_json(r) for r in data.get("aopc", [])),
            faithfulness_scale=(data.get("faithfulness_scale") or {}).get("name"),
        )


def _sweeps(data: Mapping[str, Mapping[str, float | None]]) -> dict[str, Sweep]:
    """JSON sweeps (k as text) back to ints, in stored order."""
    return {name: {int(k): v for k, v in points.items()} for name, points in data.items()}
