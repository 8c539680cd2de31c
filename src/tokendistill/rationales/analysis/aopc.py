"""AOPC: comprehensiveness and sufficiency over rationale-size bins (ERASER, DeYoung et al. 2020).

The k-level figures (``faithfulness.py``) ask about one rationale size. ERASER's *area over
the perturbation curve* asks about all of them at once: for every bin ``b`` (ERASER's 1, 5,
10, 20 and 50 %) the example's top ``⌈b · n⌉`` units are removed (comprehensiveness) or
kept alone (sufficiency), with ``n`` its rankable units (content units after the
selection's filters, distinct when it dedupes), and

    AOPC_comprehensiveness = mean over examples of mean over bins of p(full) − p(top removed)
    AOPC_sufficiency       = mean over examples of mean over bins of p(full) − p(top kept alone)

as ERASER's reference code averages them (its paper writes the bins' sum over |B| + 1,
counting an empty bin that contributes 0). The bins are ``AnalysisConfig.aopc_bins``.
Every bin is also measured with as many random units from the same pool (seeded per
example id, as everywhere else), the baseline a method must beat. Perturbations are the
k-level ones (template kept byte for byte).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.faithfulness import (
    ScoreFn,
    batched_scores,
    content_regions,
    keep_only,
    random_units,
    remove_units,
)
from tokendistill.rationales.select import Selection

__all__ = ["AopcResult", "aopc", "bin_label", "bin_size"]

# Per bin, four perturbed inputs: top removed, random removed, top kept, random kept.
_PERTURBATIONS = 4


def bin_size(share: float, n_units: int) -> int:
    """Units in the bin ``share`` of an example with ``n_units`` rankable units: at least one."""
    return min(n_units, max(1, math.ceil(share * n_units - 1e-9)))


def bin_label(share: float) -> str:
    """``0.05`` -> ``"5 %"``: how bins are named in tables and metrics.json."""
    return f"{100 * share:g} %"


@dataclass(frozen=True)
class AopcResult:
    """Per-bin means over the scored examples (bins in the order given) and their AOPC.

    ``values[name]`` is ``[bins]`` for ``name`` in ``comprehensiveness``,
    ``comprehensiveness_random``, ``sufficiency``, ``sufficiency_random``; the AOPC of each
    is the mean over bins. Records with non-finite scores or no rankable unit are skipped.
    """

    bins: tuple[float, ...]
    example_ids: tuple[str, ...]
    values: dict[str, tuple[float, ...]]
    n_nonfinite: int
    n_empty: int

    def area(self, name: str) -> float | None:
        """The AOPC of ``name``: its mean over bins (None without scored examples)."""
        return float(np.mean(self.values[name])) if self.example_ids else None


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


def aopc(
    records: Sequence[TokenAttribution],
    score_fn: ScoreFn,
    selection: Selection,
    *,
    seed: int,
    bins: Sequence[float],
    batch_size: int = 32,
) -> AopcResult:
    """AOPC comprehensiveness and sufficiency of ``records``' rankings over ``bins`` (shares
    of each example's rankable units; ``AnalysisConfig.aopc_bins``), with the
    random-unit baseline at every bin; ``score_fn(texts, targets)`` is the teacher's
    probability of each target (one scoring of 1 + 4 × len(bins) inputs per example)."""
    if not bins or any(not 0.0 < share <= 1.0 for share in bins):
        raise ValueError(f"AOPC bins are shares in (0, 1], got {list(bins)}")
    finite = [r for r in records if r.finite]
    kept = [r for r in finite if selection.ranked(r)]
    width = 1 + _PERTURBATIONS * len(bins)
    texts = [text for r in kept for text in _inputs_of(r, bins, selection, seed)]
    targets = [r.target for r in kept for _ in range(width)]
    probs = np.asarray(batched_scores(score_fn, texts, targets, batch_size)).reshape(len(kept), width)
    drops = probs[:, :1] - probs[:, 1:]  # [examples, 4 * bins]: full minus each perturbed input
    per_bin = drops.reshape(len(kept), len(bins), _PERTURBATIONS).mean(axis=0) if kept else None
    names = ("comprehensiveness", "comprehensiveness_random", "sufficiency", "sufficiency_random")
    values = {
        name: tuple(float(v) for v in per_bin[:, j]) if per_bin is not None else ()
        for j, name in enumerate(names)
    }
    return AopcResult(
        bins=tuple(bins),
        example_ids=tuple(r.example_id for r in kept),
        values=values,
        n_nonfinite=len(records) - len(finite),
        n_empty=len(finite) - len(kept),
    )
