"""Faithfulness of a rationale to the teacher: comprehensiveness and sufficiency (ERASER).

The teacher enters only through an ``ErasureScorer`` (``scorer.py``), which puts its answer
on one scale (``scale.py``: the choice-normalised probability, or the answer's log-probability),
so the metrics are testable without a model and work with any backend.

- comprehensiveness = s(full) − s(text with the top-k units removed): high when the selected
  words were needed.
- sufficiency = s(full) − s(template + only the top-k units): low when the selected words
  suffice.

Each is also computed for k random eligible units (same pool, same count, seeded per
example id so the draw does not depend on record order) as the baseline to beat.

Perturbations only touch content: units come from content tokens and are cut out by char
span; the only extra characters removed are single spaces inside a content region that
would otherwise double up. Template text is kept byte for byte.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.analysis.scorer import ErasureScorer
from tokendistill.rationales.select import Selection, Unit, content_token_spans
from tokendistill.stats import t_interval

__all__ = [
    "FaithfulnessResult",
    "content_regions",
    "faithfulness",
    "keep_only",
    "plan_faithfulness",
    "remove_units",
    "scorer_of",
]

Interval = tuple[float, float]
Span = tuple[int, int]
Metric = Literal["comprehensiveness", "sufficiency"]


def content_regions(record: TokenAttribution) -> list[Span]:
    """Char ranges covered by maximal runs of consecutive content tokens (template-free)."""
    by_pos = sorted(range(len(record.tokens)), key=lambda i: (record.offsets[i], i))
    content_spans = {i: (s, e) for s, e, i in content_token_spans(record)}
    regions: list[Span] = []
    open_run = False
    for i in by_pos:
        if not record.content[i]:
            open_run = False
            continue
        if i not in content_spans:  # whitespace-only content token: neutral
            continue
        s, e = content_spans[i]
        if open_run and regions:
            regions[-1] = (regions[-1][0], max(regions[-1][1], e))
        else:
            regions.append((s, e))
            open_run = True
    return regions


def _inside(span: Span, regions: Sequence[Span]) -> bool:
    return any(rs <= span[0] and span[1] <= re for rs, re in regions)


def remove_units(text: str, spans: Sequence[Span], regions: Sequence[Span]) -> str:
    """``text`` with ``spans`` cut out; a space left doubled inside a content region goes too."""
    keep = [True] * len(text)
    for s, e in spans:
        for i in range(s, e):
            keep[i] = False
    n = len(text)
    i = 0
    while i < n:
        if keep[i]:
            i += 1
            continue
        start = i
        while i < n and not keep[i]:
            i += 1
        prev = next((j for j in range(start - 1, -1, -1) if keep[j]), None)
        prev_ws = prev is None or text[prev].isspace()
        nxt_ws = i >= n or text[i].isspace()
        if i < n and text[i] == " " and prev_ws and _inside((i, i + 1), regions):
            keep[i] = False
        elif prev is not None and text[prev] == " " and nxt_ws and _inside((prev, prev + 1), regions):
            keep[prev] = False
    return "".join(ch for ch, k in zip(text, keep, strict=True) if k)


def keep_only(text: str, kept: Sequence[Span], regions: Sequence[Span]) -> str:
    """``text`` with each content region replaced by its kept units joined by single spaces."""
    out, pos = [], 0
    for rs, re in sorted(regions):
        out.append(text[pos:rs])
        out.append(" ".join(text[s:e] for s, e in sorted(kept) if rs <= s and e <= re))
        pos = re
    out.append(text[pos:])
    return "".join(out)


def random_units(pool: list[Unit], count: int, seed: int, example_id: str) -> list[Unit]:
    digest = int.from_bytes(hashlib.sha256(example_id.encode("utf-8")).digest()[:8], "little")
    rng = np.random.default_rng([seed, digest])
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False) if pool else []
    return [pool[i] for i in sorted(int(p) for p in picks)]


def scorer_of(scorer: ErasureScorer | LogProbFn) -> ErasureScorer:
    """``scorer`` itself, or an answer-log-probability scorer over a bare ``logprob_fn``."""
    return scorer if isinstance(scorer, ErasureScorer) else ErasureScorer(scorer)


def interval_of(values: np.ndarray) -> Interval | None:
    """The 95 % t-interval of the mean of ``values`` (``stats.t_interval``)."""
    return t_interval(values.tolist())


@dataclass(frozen=True)
class FaithfulnessResult:
    """Per-example figures behind one metric on the scorer's scale; ``values = full - perturbed``
    (``raw_*``: the same on the raw scale, ``scale.RAW``).

    Records that are non-finite (``n_nonfinite``) or have no eligible unit (``n_empty``) are
    skipped: their perturbed input would equal the full one.
    """

    metric: Metric
    k: int
    example_ids: tuple[str, ...]
    full: tuple[float, ...]
    perturbed: tuple[float, ...]
    perturbed_random: tuple[float, ...]
    n_nonfinite: int
    n_empty: int
    raw_full: tuple[float, ...] = ()
    raw_perturbed: tuple[float, ...] = ()
    raw_perturbed_random: tuple[float, ...] = ()

    @property
    def values(self) -> np.ndarray:
        return np.asarray(self.full) - np.asarray(self.perturbed)

    @property
    def random_values(self) -> np.ndarray:
        return np.asarray(self.full) - np.asarray(self.perturbed_random)

    @property
    def mean(self) -> float | None:
        return float(self.values.mean()) if self.example_ids else None

    @property
    def mean_random(self) -> float | None:
        return float(self.random_values.mean()) if self.example_ids else None

    @property
    def interval(self) -> Interval | None:
        return interval_of(self.values)

    @property
    def interval_random(self) -> Interval | None:
        return interval_of(self.random_values)

    @property
    def interval_vs_random(self) -> Interval | None:
        """The interval of the per-example difference, method minus random (paired)."""
        return interval_of(self.values - self.random_values)

    @property
    def raw_mean(self) -> float | None:
        drops = np.asarray(self.raw_full) - np.asarray(self.raw_perturbed)
        return float(drops.mean()) if self.raw_full else None

    @property
    def raw_mean_random(self) -> float | None:
        drops = np.asarray(self.raw_full) - np.asarray(self.raw_perturbed_random)
        return float(drops.mean()) if self.raw_full else None


_PERTURB = {"comprehensiveness": remove_units, "sufficiency": keep_only}


def _inputs_of(
    record: TokenAttribution, k: int, selection: Selection, metrics: Sequence[Metric], seed: int
) -> list[str] | None:
    """The full text, then per metric its top-k and random-k perturbations; ``None`` when no
    unit is eligible (every perturbation would equal the full text)."""
    top = selection.ranked(record)[:k]
    if not top:
        return None
    rand = random_units(selection.eligible(record), len(top), seed, record.example_id)
    regions = content_regions(record)
    row = [record.text]
    for metric in metrics:
        for units in (top, rand):
            row.append(_PERTURB[metric](record.text, [(u.start, u.end) for u in units], regions))
    return row


def plan_faithfulness(
    records: Sequence[TokenAttribution],
    k: int,
    scorer: ErasureScorer,
    selection: Selection,
    *,
    seed: int,
    metrics: Sequence[Metric] = ("comprehensiveness", "sufficiency"),
) -> Callable[[], dict[Metric, FaithfulnessResult]]:
    """Request the inputs of the ``metrics`` at top-``k`` from ``scorer``; the returned function
    reads the results once ``scorer.run()`` has scored them (so that many methods, k values and
    AOPC bins are scored in one batched pass, each distinct input once)."""
    unknown = set(metrics) - {"comprehensiveness", "sufficiency"}
    if unknown or not metrics:
        raise ValueError(f"metrics: pick from comprehensiveness, sufficiency; got {metrics}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    finite = [r for r in records if r.finite]
    rows = [(r, _inputs_of(r, k, selection, metrics, seed)) for r in finite]
    kept = [(r, row) for r, row in rows if row is not None]
    for r, row in kept:
        scorer.request(r, row)

    def results() -> dict[Metric, FaithfulnessResult]:
        def column(j: int, read: Callable[[TokenAttribution, str], float]) -> tuple[float, ...]:
            return tuple(read(r, row[j]) for r, row in kept)

        out = {}
        for m, metric in enumerate(metrics):
            top, rand = 1 + 2 * m, 2 + 2 * m
            out[metric] = FaithfulnessResult(
                metric=metric,
                k=k,
                example_ids=tuple(r.example_id for r, _ in kept),
                full=column(0, scorer.value),
                perturbed=column(top, scorer.value),
                perturbed_random=column(rand, scorer.value),
                n_nonfinite=len(records) - len(finite),
                n_empty=len(rows) - len(kept),
                raw_full=column(0, scorer.raw),
                raw_perturbed=column(top, scorer.raw),
                raw_perturbed_random=column(rand, scorer.raw),
            )
        return out

    return results


def faithfulness(
    records: Sequence[TokenAttribution],
    k: int,
    scorer: ErasureScorer | LogProbFn,
    selection: Selection,
    *,
    seed: int,
    metrics: Sequence[Metric] = ("comprehensiveness", "sufficiency"),
) -> dict[Metric, FaithfulnessResult]:
    """The requested metrics at top-``k``, on ``scorer``'s scale (a bare ``logprob_fn``: the
    answer's mean log-probability per token). Every distinct input is scored once, in one
    call: per example the full text, then per metric its top-k and random-k perturbations."""
    scorer = scorer_of(scorer)
    results = plan_faithfulness(records, k, scorer, selection, seed=seed, metrics=metrics)
    scorer.run()
    return results()
