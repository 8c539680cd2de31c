"""The analyses of a run as typed rows: one pure function for everything that needs no model
(shared by the analyze stage and ``tokendistill analyze``), one for faithfulness and AOPC.

Both take the same ``Selection`` and seed as the pipeline, so the command line prints the
report's numbers for the same attribution artifact and k.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.agreement import method_agreement
from tokendistill.rationales.analysis.aopc import AopcResult, bin_label, plan_aopc
from tokendistill.rationales.analysis.evidence import Span, evidence_hits
from tokendistill.rationales.analysis.faithfulness import FaithfulnessResult, plan_faithfulness, scorer_of
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
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.analysis.scorer import ErasureScorer
from tokendistill.rationales.select import Selection
from tokendistill.rationales.text import words_of

__all__ = ["analyze_records", "erasure_rows", "gold_in_input_share"]

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
    return hits / n


def _agreement_rows(attributions: Records, k: int, selection: Selection) -> tuple[AgreementRow, ...]:
    rows = []
    for a, b in itertools.combinations(sorted(attributions), 2):
        agreement = method_agreement(attributions[a], attributions[b], k, selection, score_unit="token")
        rows.append(
            AgreementRow(a, b, k, agreement.mean_jaccard, agreement.mean_spearman, agreement.n_common)
        )
    return tuple(rows)


def erasure_rows(
    attributions: Records,
    scorer: ErasureScorer | LogProbFn,
    selection: Selection,
    *,
    k: int,
    n_examples: int,
    seed: int,
    bins: Sequence[float] = (),
) -> tuple[tuple[FaithfulnessRow, ...], tuple[AopcRow, ...]]:
    """Comprehensiveness and sufficiency of every method's top-``k`` and (with ``bins``) its
    AOPC rows (bin "AOPC", the mean over ``bins``, then one row per bin), on its first
    ``n_examples`` records, on ``scorer``'s scale. Every method's, k's and bin's inputs are
    scored together, each distinct input once (the unperturbed one, and the random-unit
    perturbations every method shares, included)."""
    scorer = scorer_of(scorer)
    plans = {
        method: (
            plan_faithfulness(records[:n_examples], k, scorer, selection, seed=seed),
            plan_aopc(records[:n_examples], scorer, selection, seed=seed, bins=bins) if bins else None,
        )
        for method, records in attributions.items()
    }
    scorer.run()
    faithful, curves = [], []
    for method, (at_k, over_bins) in plans.items():
        res = at_k()
        faithful.append(_faithfulness_row(method, k, res["comprehensiveness"], res["sufficiency"]))
        if over_bins is not None:
            curves += _aopc_rows(method, over_bins())
    return tuple(faithful), tuple(curves)


def _faithfulness_row(
    method: str, k: int, comp: FaithfulnessResult, suff: FaithfulnessResult
) -> FaithfulnessRow:
    figures = {}
    for figure, res in (("comprehensiveness", comp), ("sufficiency", suff)):
        figures.update(
            {
                figure: res.mean,
                f"{figure}_random": res.mean_random,
                f"{figure}_ci": res.interval,
                f"{figure}_random_ci": res.interval_random,
                f"{figure}_vs_random_ci": res.interval_vs_random,
                f"{figure}_raw": res.raw_mean,
                f"{figure}_raw_random": res.raw_mean_random,
            }
        )
    return FaithfulnessRow(method=method, k=k, examples=len(comp.example_ids), **figures)


def _aopc_rows(method: str, res: AopcResult) -> list[AopcRow]:
    """The method's AOPC row, then one row per bin."""
    n = len(res.example_ids)
    rows = []
    for i, label in [(None, "AOPC"), *((i, bin_label(b)) for i, b in enumerate(res.bins))]:
        figures: dict = {}
        for figure in ("comprehensiveness", "sufficiency"):
            for name in (figure, f"{figure}_random"):
                figures[name] = _mean(res.per_example(name, i))
                figures[f"{name}_ci"] = res.interval(name, i)
            figures[f"{figure}_vs_random_ci"] = res.interval_vs_random(figure, i)
            figures[f"{figure}_raw"] = _mean(res.per_example(figure, i, raw=True))
            figures[f"{figure}_raw_random"] = _mean(res.per_example(f"{figure}_random", i, raw=True))
        rows.append(AopcRow(method=method, bin=label, examples=n, **figures))
    return rows


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None
