"""The analyses of a run as typed rows: one pure function for everything that needs no model
(shared by the analyze stage and ``tokendistill analyze``), one for faithfulness.

Both take the same ``Selection`` and seed as the pipeline, so the command line prints the
report's numbers for the same attribution artifact and k.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.agreement import method_agreement
from tokendistill.rationales.analysis.aopc import aopc, bin_label
from tokendistill.rationales.analysis.evidence import Span, evidence_hits
from tokendistill.rationales.analysis.faithfulness import ScoreFn, faithfulness
from tokendistill.rationales.analysis.overlap import OverlapResult, gold_answer_words, gold_overlap, k_sweep
from tokendistill.rationales.analysis.result import (
    AgreementRow,
    AnalysisResult,
    AopcRow,
    EvidenceRow,
    FaithfulnessRow,
    OverlapRow,
    Sweep,
)
from tokendistill.rationales.select import Selection
from tokendistill.rationales.text import words_of

__all__ = ["analyze_records", "aopc_rows", "faithfulness_rows", "gold_in_input_share"]

Records = Mapping[str, Sequence[TokenAttribution]]


def analyze_records(
    attributions: Records,
    selection: Selection,
    k: int,
    ks: Sequence[int],
    evidence: Mapping[str, Sequence[Span]],
    seed: int,
) -> AnalysisResult:
    """Gold overlap at ``k`` and over ``ks``, evidence hits at ``k`` and over ``ks`` (empty
    without evidence spans), agreement of every method pair at ``k`` and the gold-in-input
    ceiling, for ``{method: records}``; faithfulness is left empty (it needs the teacher).
    """
    first = next(iter(attributions.values()), [])
    sweeps, chance = _evidence_sweeps(attributions, evidence, ks, selection, seed)
    return AnalysisResult(
        gold_in_input=gold_in_input_share(first, selection.stopwords),
        overlap=tuple(_overlap_row(m, gold_overlap(rs, k, selection)) for m, rs in attributions.items()),
        k_sweep={m: {r.k: r.overlap for r in k_sweep(rs, ks, selection)} for m, rs in attributions.items()},
        evidence_sweep=sweeps,
        evidence_chance=chance,
        agreement=_agreement_rows(attributions, k, selection),
        evidence=_evidence_rows(attributions, evidence, k, selection, seed) if evidence else (),
    )


def _overlap_row(method: str, r: OverlapResult) -> OverlapRow:
    return OverlapRow(
        method=method,
        k=r.k,
        examples=r.n,
        overlap=r.overlap,
        teacher_right=r.overlap_right,
        n_right=r.n_right,
        teacher_wrong=r.overlap_wrong,
        n_wrong=r.n_wrong,
        nonfinite=r.n_nonfinite,
    )


def _evidence_rows(
    attributions: Records, evidence: Mapping[str, Sequence[Span]], k: int, selection: Selection, seed: int
) -> tuple[EvidenceRow, ...]:
    rows = []
    for method, records in attributions.items():
        r = evidence_hits(records, evidence, k, selection, seed=seed)
        rows.append(EvidenceRow(method, k, r.n, r.hit_rate, r.random_rate))
    return tuple(rows)


def _evidence_sweeps(
    attributions: Records,
    evidence: Mapping[str, Sequence[Span]],
    ks: Sequence[int],
    selection: Selection,
    seed: int,
) -> tuple[dict[str, Sweep], Sweep]:
    """Evidence hit rate per method and k, and the random-k chance line (the first method's:
    every method draws from the same pool)."""
    if not evidence:
        return {}, {}
    sweeps: dict[str, Sweep] = {}
    chance: Sweep | None = None
    for method, records in attributions.items():
        results = [evidence_hits(records, evidence, kk, selection, seed=seed) for kk in ks]
        sweeps[method] = {r.k: r.hit_rate for r in results}
        if chance is None:
            chance = {r.k: r.random_rate for r in results}
    return sweeps, chance or {}


def gold_in_input_share(
    records: Sequence[TokenAttribution], stopwords: frozenset[str] | None
) -> float | None:
    """Share of examples whose gold answer has a word in the content text: the ceiling of
    gold-answer overlap (0 when labels never appear in inputs, e.g. NLI or synthetic)."""
    hits = n = 0
    for r in records:
        gold = gold_answer_words(r.gold, stopwords)
        if not gold:
            continue
        n += 1
        content = {
            w for (s, e), c in zip(r.offsets, r.content, strict=True) if c for w in words_of(r.text[s:e])
        }
        hits += bool(gold & content)
    return hits / n if n else None


def _agreement_rows(attributions: Records, k: int, selection: Selection) -> tuple[AgreementRow, ...]:
    rows = []
    for a, b in itertools.combinations(sorted(attributions), 2):
        agreement = method_agreement(attributions[a], attributions[b], k, selection, score_unit="token")
        rows.append(
            AgreementRow(a, b, k, agreement.mean_jaccard, agreement.mean_spearman, agreement.n_common)
        )
    return tuple(rows)


def faithfulness_rows(
    attributions: Records, k: int, score_fn: ScoreFn, selection: Selection, n_examples: int, seed: int
) -> tuple[FaithfulnessRow, ...]:
    """Comprehensiveness and sufficiency of every method's top-``k`` on its first
    ``n_examples`` records, scored by ``score_fn`` (the teacher's target probability)."""
    rows = []
    for method, records in attributions.items():
        res = faithfulness(records[:n_examples], k, score_fn, selection, seed=seed)
        comp, suff = res["comprehensiveness"], res["sufficiency"]
        rows.append(
            FaithfulnessRow(
                method=method,
                k=k,
                examples=len(comp.example_ids),
                comprehensiveness=comp.mean,
                comprehensiveness_random=comp.mean_random,
                sufficiency=suff.mean,
                sufficiency_random=suff.mean_random,
            )
        )
    return tuple(rows)


def aopc_rows(
    attributions: Records,
    score_fn: ScoreFn,
    selection: Selection,
    n_examples: int,
    seed: int,
    bins: Sequence[float],
) -> tuple[AopcRow, ...]:
    """Per method, its AOPC row (bin "AOPC", the mean over ``bins``) and then one row per bin,
    on its first ``n_examples`` records, scored by ``score_fn`` (the teacher's target
    probability)."""
    rows = []
    for method, records in attributions.items():
        res = aopc(records[:n_examples], score_fn, selection, seed=seed, bins=bins)
        n = len(res.example_ids)
        names = ("comprehensiveness", "comprehensiveness_random", "sufficiency", "sufficiency_random")
        rows.append(AopcRow(method, "AOPC", n, **{name: res.area(name) for name in names}))
        for i, share in enumerate(res.bins):
            per_bin = {name: res.values[name][i] if n else None for name in names}
            rows.append(AopcRow(method, bin_label(share), n, **per_bin))
    return tuple(rows)
