"""Evidence hit rate: how often top-k selects a span known to carry the answer.

Tasks with planted or annotated evidence (``Example.evidence``: word and character span, e.g.
the ``synthetic`` task's cue words) give attribution a ground truth. A record is a hit when
any selected unit overlaps an evidence span. The same rate for k random units from the
same eligible pool (seeded per example) is the chance level to beat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.select import Selection, Unit
from tokendistill.tasks.example import Example

Span = tuple[int, int]


def evidence_spans(examples: Iterable[Example]) -> dict[str, list[Span]]:
    """Example id -> char spans of its planted evidence (``Example.evidence``), for the
    examples that have any (the synthetic task's cue words); empty for other tasks."""
    return {e.id: [(ev.start, ev.end) for ev in e.evidence] for e in examples if e.evidence}


@dataclass(frozen=True)
class EvidenceResult:
    k: int
    n: int
    hits: int
    random_hits: int
    n_nonfinite: int

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def random_rate(self) -> float | None:
        return self.random_hits / self.n if self.n else None

    def as_dict(self) -> dict:
        return {**asdict(self), "hit_rate": self.hit_rate, "random_rate": self.random_rate}


def _overlaps(units: Sequence[Unit], spans: Sequence[Span]) -> bool:
    return any(u.start < e and s < u.end for u in units for s, e in spans)


def evidence_hits(
    records: Sequence[TokenAttribution],
    evidence: Mapping[str, Sequence[Span]],
    k: int,
    selection: Selection,
    *,
    seed: int,
) -> EvidenceResult:
    """Hit rate of top-``k`` and of random-``k`` over records that have evidence spans."""
    n = hits = random_hits = n_nonfinite = 0
    for record in records:
        spans = evidence.get(record.example_id)
        if not spans:
            continue
        if not record.finite:
            n_nonfinite += 1
            continue
        n += 1
        hits += _overlaps(selection.ranked(record)[:k], spans)
        pool = selection.eligible(record)
        random_hits += _overlaps(random_units(pool, k, seed, record.example_id), spans)
    return EvidenceResult(k, n, hits, random_hits, n_nonfinite)
