"""Agreement between two attribution methods on the same examples.

Two views: do they pick the same top-k units (Jaccard of the selected spans), and do they
order all content the same way (Spearman rank correlation of the content scores). Spearman
is implemented with numpy (average ranks for ties) to avoid a scipy dependency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.select import Selection, WordAgg, build_units

__all__ = ["Agreement", "jaccard", "method_agreement", "rankdata", "spearman"]

ScoreUnit = Literal["token", "word"]


def rankdata(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """1-based ranks, ties get the average of the ranks they span (like scipy's "average")."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return x
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(starts) - 1  # group id of each sorted position
    bounds = np.r_[np.flatnonzero(starts), x.size]  # first sorted position of each group, + end
    avg = (bounds[:-1] + bounds[1:] + 1) / 2.0  # mean of 1-based positions start+1 .. end
    ranks = np.empty_like(x)
    ranks[order] = avg[group]
    return ranks


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Spearman's rho (Pearson correlation of average ranks); NaN when undefined
    (fewer than 2 values, or either side constant)."""
    ra, rb = rankdata(a), rankdata(b)
    if ra.shape != rb.shape:
        raise ValueError(f"spearman needs equal lengths, got {ra.size} and {rb.size}")
    if ra.size < 2:
        return math.nan
    da, db = ra - ra.mean(), rb - rb.mean()
    denom = math.sqrt(float(da @ da) * float(db @ db))
    return float(da @ db) / denom if denom > 0 else math.nan


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b|; NaN when both are empty (nothing to agree on)."""
    union = a | b
    return len(a & b) / len(union) if union else math.nan


@dataclass(frozen=True)
class Agreement:
    """Means over the examples where each measure is defined, with the counts behind them."""

    k: int
    n_common: int
    mean_jaccard: float | None
    n_jaccard: int
    mean_spearman: float | None
    n_spearman: int
    n_nonfinite: int
    n_only_a: int
    n_only_b: int

    def as_dict(self) -> dict:
        return asdict(self)


def _paired_scores(
    a: TokenAttribution, b: TokenAttribution, unit: ScoreUnit, word_agg: WordAgg
) -> tuple[list[float], list[float]]:
    if unit == "token":
        same = a.offsets == b.offsets and a.content == b.content
        if not same:
            raise ValueError(
                f"example {a.example_id!r}: the two methods tokenised differently; "
                "compare with score_unit='word'"
            )
        pairs = [(sa, sb) for sa, sb, c in zip(a.scores, b.scores, a.content, strict=True) if c]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    ua = {(u.start, u.end): u.score for u in build_units(a, "word", word_agg)}
    ub = {(u.start, u.end): u.score for u in build_units(b, "word", word_agg)}
    spans = sorted(ua.keys() & ub.keys())
    return [ua[s] for s in spans], [ub[s] for s in spans]


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _pair(
    a: TokenAttribution, b: TokenAttribution, k: int, selection: Selection, score_unit: ScoreUnit
) -> tuple[float, float]:
    """Top-``k`` Jaccard and Spearman of one example both methods scored (NaN: undefined)."""
    top_a = {(u.start, u.end) for u in selection.ranked(a)[:k]}
    top_b = {(u.start, u.end) for u in selection.ranked(b)[:k]}
    return jaccard(top_a, top_b), spearman(*_paired_scores(a, b, score_unit, selection.word_agg))


def method_agreement(
    records_a: Sequence[TokenAttribution],
    records_b: Sequence[TokenAttribution],
    k: int,
    selection: Selection,
    score_unit: ScoreUnit = "token",
) -> Agreement:
    """Agreement of two methods over the examples both scored (matched by ``example_id``).

    Jaccard: top-``k`` units of each method under the same ``selection``, compared by char
    span (so methods on different tokenizers should use ``unit="word"``). Spearman: over all
    content-token scores (``score_unit="token"``, requires identical tokenisation) or over
    word scores aligned by span (``"word"``). Examples where either record is non-finite are
    skipped and counted; undefined values (both top-k empty, constant scores) are left out of
    the means and visible through ``n_jaccard`` / ``n_spearman``.
    """
    by_id_b = {r.example_id: r for r in records_b}
    ids_a = {r.example_id for r in records_a}
    common = [(a, by_id_b[a.example_id]) for a in records_a if a.example_id in by_id_b]
    for a, b in common:
        if a.text != b.text:
            raise ValueError(f"example {a.example_id!r}: the two methods saw different texts")
    finite = [(a, b) for a, b in common if a.finite and b.finite]
    pairs = [_pair(a, b, k, selection, score_unit) for a, b in finite]
    jaccards = [j for j, _ in pairs if not math.isnan(j)]
    rhos = [rho for _, rho in pairs if not math.isnan(rho)]
    return Agreement(
        k=k,
        n_common=len(common),
        mean_jaccard=_mean(jaccards),
        n_jaccard=len(jaccards),
        mean_spearman=_mean(rhos),
        n_spearman=len(rhos),
        n_nonfinite=len(common) - len(finite),
        n_only_a=len(ids_a - by_id_b.keys()),
        n_only_b=len(by_id_b.keys() - ids_a),
    )
