"""AOPC: comprehensiveness and sufficiency over rationale-size bins (ERASER, DeYoung et al. 2020).

The k-level figures (``faithfulness.py``) ask about one rationale size. ERASER's *area over
the perturbation curve* asks about all of them at once: for every bin ``b`` (ERASER's 1, 5,
10, 20 and 50 %) the example's top ``⌈b · n⌉`` units are removed (comprehensiveness) or
kept alone (sufficiency), with ``n`` its rankable units (content units after the
selection's filters, distinct when it dedupes), and

    AOPC_comprehensiveness = mean over examples of mean over bins of s(full) − s(top removed)
    AOPC_sufficiency       = mean over examples of mean over bins of s(full) − s(top kept alone)

with ``s`` the teacher's answer on the scorer's scale (``scale.py``)
as ERASER's reference code averages them (its paper writes the bins' sum over |B| + 1,
counting an empty bin that contributes 0). The per-example means over bins give each AOPC
its 95 % interval over examples. The bins are ``AnalysisConfig.aopc_bins``.
Every bin is also measured with as many random units from the same pool (seeded per
example id, as everywhere else), the baseline a method must beat. Perturbations are the
k-level ones (template kept byte for byte).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.faithfulness import (
    Interval,
    content_regions,
    interval_of,
    keep_only,
    random_units,
    remove_units,
    scorer_of,
)
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.analysis.scorer import ErasureScorer
from tokendistill.rationales.select import Selection

__all__ = ["NAMES", "AopcResult", "aopc", "bin_label", "bin_size", "plan_aopc"]

# Per bin, four perturbed inputs, in this order.
NAMES = ("comprehensiveness", "comprehensiveness_random", "sufficiency", "sufficiency_random")


def bin_size(share: float, n_units: int) -> int:
    """Units in the bin ``share`` of an example with ``n_units`` rankable units: at least one."""
    return min(n_units, max(1, math.ceil(share * n_units - 1e-9)))


def bin_label(share: float) -> str:
    """``0.05`` -> ``"5 %"``: how bins are named in tables and metrics.json."""
    return f"{100 * share:g} %"


@dataclass(frozen=True)
class AopcResult:
    """Per-example drops (bins in the order given) on the scorer's scale, and on the raw one.

    ``drops`` and ``raw_drops`` are ``[examples, bins, 4]``, the last axis in ``NAMES`` order
    (``comprehensiveness``, ``comprehensiveness_random``, ``sufficiency``,
    ``sufficiency_random``). Records with non-finite scores or no rankable unit are skipped.
    """

    bins: tuple[float, ...]
    example_ids: tuple[str, ...]
    drops: np.ndarray
    raw_drops: np.ndarray
    n_nonfinite: int
    n_empty: int

    @property
    def values(self) -> dict[str, tuple[float, ...]]:
        """``[bins]`` means over examples per name (empty without scored examples)."""
        if not self.example_ids:
            return {name: () for name in NAMES}
        means = self.drops.mean(axis=0)
        return {name: tuple(float(v) for v in means[:, j]) for j, name in enumerate(NAMES)}

    def per_example(self, name: str, bin_index: int | None = None, *, raw: bool = False) -> np.ndarray:
        """``[examples]``: each example's drop at one bin, or (None) its mean over bins."""
        drops = (self.raw_drops if raw else self.drops)[:, :, NAMES.index(name)]
        return drops.mean(axis=1) if bin_index is None else drops[:, bin_index]

    def area(self, name: str, *, raw: bool = False) -> float | None:
        """The AOPC of ``name``: its mean over bins and examples (None without examples)."""
        return float(self.per_example(name, raw=raw).mean()) if self.example_ids else None

    def interval(self, name: str, bin_index: int | None = None) -> Interval | None:
        """The 95 % interval over examples of the AOPC of ``name`` (or of one bin's figure)."""
        return interval_of(self.per_example(name, bin_index))

    def interval_vs_random(self, figure: str, bin_index: int | None = None) -> Interval | None:
        """The interval of the per-example difference, ``figure`` minus its random baseline."""
        method = self.per_example(figure, bin_index)
        return interval_of(method - self.per_example(f"{figure}_random", bin_index))


def _inputs_of(record: TokenAttribution, bins: Sequence[float], selection: Selection, seed: int) -> list[str]:
    """The full text, then per bin: top removed, random removed, top kept, random kept."""
    ranked = selection.ranked(record)
    pool = selection.eligible(record)
    regions = content_regions(record)
    row = [record.text]
    for share in bins:
        top = ranked[: bin_size(share, len(ranked))]
        rand = random_units(pool, len(top), seed, record.example_id)
        for perturb in (remove_units, keep_only):
            for units in (top, rand):
                row.append(perturb(record.text, [(u.start, u.end) for u in units], regions))
    return row


def plan_aopc(
    records: Sequence[TokenAttribution],
    scorer: ErasureScorer,
    selection: Selection,
    *,
    seed: int,
    bins: Sequence[float],
) -> Callable[[], AopcResult]:
    """Request every bin's inputs of ``records`` from ``scorer``; the returned function reads
    the result once ``scorer.run()`` has scored them (see ``plan_faithfulness``)."""
    if not bins or any(not 0.0 < share <= 1.0 for share in bins):
        raise ValueError(f"AOPC bins are shares in (0, 1], got {list(bins)}")
    finite = [r for r in records if r.finite]
    kept = [r for r in finite if selection.ranked(r)]
    rows = [_inputs_of(r, bins, selection, seed) for r in kept]
    for r, row in zip(kept, rows, strict=True):
        scorer.request(r, row)

    def drops(read: Callable[[TokenAttribution, str], float]) -> np.ndarray:
        scores = np.asarray([[read(r, t) for t in row] for r, row in zip(kept, rows, strict=True)])
        scores = scores.reshape(len(kept), 1 + len(NAMES) * len(bins))
        # [examples, bins, 4]: the full input's score minus each perturbed input's.
        return (scores[:, :1] - scores[:, 1:]).reshape(len(kept), len(bins), len(NAMES))

    def result() -> AopcResult:
        return AopcResult(
            bins=tuple(bins),
            example_ids=tuple(r.example_id for r in kept),
            drops=drops(scorer.value),
            raw_drops=drops(scorer.raw),
            n_nonfinite=len(records) - len(finite),
            n_empty=len(finite) - len(kept),
        )

    return result


def aopc(
    records: Sequence[TokenAttribution],
    scorer: ErasureScorer | LogProbFn,
    selection: Selection,
    *,
    seed: int,
    bins: Sequence[float],
) -> AopcResult:
    """AOPC comprehensiveness and sufficiency of ``records``' rankings over ``bins`` (shares
    of each example's rankable units; ``AnalysisConfig.aopc_bins``), with the random-unit
    baseline at every bin, on ``scorer``'s scale (one scoring of each distinct input of
    1 + 4 × len(bins) per example)."""
    scorer = scorer_of(scorer)
    result = plan_aopc(records, scorer, selection, seed=seed, bins=bins)
    scorer.run()
    return result()
