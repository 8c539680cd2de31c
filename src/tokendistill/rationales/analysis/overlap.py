"""Gold-answer overlap: how often the selected rationale contains a word of the gold answer.

Ballout et al. (2024) report that 68% of the teacher's top tokens include the answer; this
module defines that number precisely so it can be reproduced and swept over k.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.select import Selection, Unit
from tokendistill.rationales.text import normalize_word, normalized_stopwords, words_of

__all__ = ["OverlapResult", "gold_answer_words", "gold_overlap", "is_hit", "k_sweep"]


def gold_answer_words(gold: str, stopwords: frozenset[str] | None = None) -> frozenset[str]:
    """The gold label's words: normalised (lowercase, punctuation/symbols deleted), split on
    whitespace, stopwords removed; if every word is a stopword they are all kept (so an
    answer like ``"it"`` or ``"no"`` can still be matched)."""
    words = words_of(gold)
    stop = normalized_stopwords(stopwords)
    content = [w for w in words if w not in stop]
    return frozenset(content or words)


def is_hit(selected_words: Iterable[str], gold_words: frozenset[str]) -> bool:
    """Whether any selected word, normalised like the gold words, equals one of them."""
    return any(normalize_word(w) in gold_words for w in selected_words)


@dataclass(frozen=True)
class OverlapResult:
    """Overlap counts and shares; a share is ``None`` when its group is empty.

    ``n`` counts finite records (the denominator); ``n_nonfinite`` records were skipped, never
    ranked; ``n_no_gold_words`` records (in ``n``) had a gold label with no words and count as
    misses. ``mean_selected`` is the mean number of selected units (below k when few words
    are eligible).
    """

    k: int
    n: int
    hits: int
    n_right: int
    hits_right: int
    n_wrong: int
    hits_wrong: int
    n_nonfinite: int
    n_no_gold_words: int
    mean_selected: float | None

    @staticmethod
    def _share(hits: int, n: int) -> float | None:
        return hits / n if n else None

    @property
    def overlap(self) -> float | None:
        return self._share(self.hits, self.n)

    @property
    def overlap_right(self) -> float | None:
        return self._share(self.hits_right, self.n_right)

    @property
    def overlap_wrong(self) -> float | None:
        return self._share(self.hits_wrong, self.n_wrong)

    def as_dict(self) -> dict:
        row = asdict(self)
        row.update(overlap=self.overlap, overlap_right=self.overlap_right, overlap_wrong=self.overlap_wrong)
        return row


def _tally(k: int, rows: list[tuple[bool, bool, bool, int]], n_nonfinite: int) -> OverlapResult:
    """rows: (hit, teacher_correct, has_gold_words, n_selected) per finite record."""
    right = [r for r in rows if r[1]]
    wrong = [r for r in rows if not r[1]]
    return OverlapResult(
        k=k,
        n=len(rows),
        hits=sum(r[0] for r in rows),
        n_right=len(right),
        hits_right=sum(r[0] for r in right),
        n_wrong=len(wrong),
        hits_wrong=sum(r[0] for r in wrong),
        n_nonfinite=n_nonfinite,
        n_no_gold_words=sum(not r[2] for r in rows),
        mean_selected=sum(r[3] for r in rows) / len(rows) if rows else None,
    )


def k_sweep(
    records: Sequence[TokenAttribution], ks: Iterable[int], selection: Selection
) -> list[OverlapResult]:
    """Gold overlap for every k in ``ks``, ranking each record once.

    Score-ordered top-k is a prefix of the ranked units for every k (order does not affect
    overlap), so one ranking per record serves all k.
    """
    ks = list(ks)
    if any(k < 0 for k in ks):
        raise ValueError(f"k must be >= 0, got {ks}")
    stop = selection.stopwords
    ranked: list[tuple[TokenAttribution, list[Unit], frozenset[str]]] = []
    n_nonfinite = 0
    for r in records:
        if not r.finite:
            n_nonfinite += 1
            continue
        ranked.append((r, selection.ranked(r), gold_answer_words(r.gold, stop)))
    results = []
    for k in ks:
        rows = []
        for r, units, gold in ranked:
            top = units[:k]
            rows.append((is_hit((u.text for u in top), gold), r.teacher_correct, bool(gold), len(top)))
        results.append(_tally(k, rows, n_nonfinite))
    return results


def gold_overlap(records: Sequence[TokenAttribution], k: int, selection: Selection) -> OverlapResult:
    """Share of examples whose top-``k`` selected words include a gold answer word.

    An example counts as a hit when any selected unit, normalised (lowercase, punctuation and
    symbols deleted), equals one of ``gold_answer_words(record.gold)``. Non-finite records
    are excluded and counted. Reported overall and split by ``teacher_correct``.
    """
    return k_sweep(records, [k], selection)[0]
