"""Faithfulness of a rationale to the teacher: comprehensiveness and sufficiency (ERASER).

The teacher enters only through ``score_fn(texts, targets) -> probabilities`` (of each target
given each text, however the caller defines it), so the metrics are testable without a
model and work with any backend.

- comprehensiveness = p(target | full) − p(target | text with the top-k units removed):
  high when the selected words were needed.
- sufficiency = p(target | full) − p(target | template + only the top-k units): low when
  the selected words suffice.

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
from tokendistill.rationales.select import Selection, Unit, content_token_spans
from tokendistill.runtime.batching import BatchSize, BatchSizer, map_in_order

__all__ = [
    "FaithfulnessResult",
    "ScoreFn",
    "content_regions",
    "faithfulness",
    "keep_only",
    "remove_units",
]

ScoreFn = Callable[[list[str], list[str]], Sequence[float]]
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


@dataclass(frozen=True)
class FaithfulnessResult:
    """Per-example probabilities behind one metric; ``values = full - perturbed``.

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


def batched_scores(
    score_fn: ScoreFn, texts: list[str], targets: list[str], batch_size: BatchSize | BatchSizer
) -> list[float]:
    """``score_fn`` over (text, target) pairs in batches of ``batch_size``, as floats in order."""

    def scores(rows: slice) -> list[float]:
        batch = score_fn(texts[rows], targets[rows])
        if len(batch) != rows.stop - rows.start:
            raise ValueError(f"score_fn returned {len(batch)} values for {rows.stop - rows.start} inputs")
        return [float(p) for p in batch]

    return map_in_order(batch_size, len(texts), scores)


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


def faithfulness(
    records: Sequence[TokenAttribution],
    k: int,
    score_fn: ScoreFn,
    selection: Selection,
    *,
    seed: int,
    metrics: Sequence[Metric] = ("comprehensiveness", "sufficiency"),
    batch_size: int = 32,
) -> dict[Metric, FaithfulnessResult]:
    """The requested metrics at top-``k``, sharing one scoring of the full inputs.

    ``score_fn`` sees 1 + 2 × len(metrics) inputs per example (full, then top-k and random-k
    perturbations per metric), in batches of ``batch_size``.
    """
    unknown = set(metrics) - {"comprehensiveness", "sufficiency"}
    if unknown or not metrics:
        raise ValueError(f"metrics: pick from comprehensiveness, sufficiency; got {metrics}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    finite = [r for r in records if r.finite]
    rows = [(r, _inputs_of(r, k, selection, metrics, seed)) for r in finite]
    kept = [(r, row) for r, row in rows if row is not None]
    columns = [[row[j] for _, row in kept] for j in range(1 + 2 * len(metrics))]
    targets = [r.target for r, _ in kept]
    probs = batched_scores(score_fn, [t for col in columns for t in col], targets * len(columns), batch_size)
    n = len(kept)
    per_col = [tuple(probs[j * n : (j + 1) * n]) for j in range(len(columns))]
    ids = tuple(r.example_id for r, _ in kept)
    return {
        metric: FaithfulnessResult(
            metric=metric,
            k=k,
            example_ids=ids,
            full=per_col[0],
            perturbed=per_col[1 + 2 * m],
            perturbed_random=per_col[2 + 2 * m],
            n_nonfinite=len(records) - len(finite),
            n_empty=len(rows) - n,
        )
        for m, metric in enumerate(metrics)
    }
