"""Stage 6: rationale quality from stored scores: overlap, k-sweep, evidence, agreement,
faithfulness at k and over bins (AOPC, on the teacher's choice-normalised probability or answer
log-probability), as a typed ``AnalysisResult`` written to analysis.json."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tokendistill.attribution.result import TokenAttribution
from tokendistill.models import answer_scores
from tokendistill.models.adapter import ModelAdapter
from tokendistill.rationales.analysis.config import AnalysisConfig
from tokendistill.rationales.analysis.result import AnalysisResult
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.analysis.scorer import ErasureScorer
from tokendistill.rationales.analysis.summary import analyze_records, erasure_rows
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.runtime.batching import AUTO, BatchSize, BatchSizer, map_batches
from tokendistill.runtime.context import RunContext
from tokendistill.runtime.files import atomic_write_json, stable_hash

ANALYSIS = "analysis.json"


def answer_logprobs(adapter: ModelAdapter, batch_size: BatchSize | BatchSizer) -> LogProbFn:
    """The teacher's summed log-probability of each answer given each text, and the answer's
    token count (``scale.LogProbFn``). The pairs are grouped by text, so a decoder-only
    teacher runs each text once for all its answers (``models.answer_scores``); the texts go
    in length-sorted batches of ``batch_size`` that halve on out-of-memory (``map_batches``)."""

    def score(texts: list[str], answers: list[str]) -> list[tuple[float, int]]:
        groups: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            groups.setdefault(text, []).append(i)
        unique = list(groups)

        def scores(rows: list[int]) -> list[list[tuple[float, int]]]:
            chosen = [[answers[i] for i in groups[unique[r]]] for r in rows]
            return answer_scores.answer_logprobs(adapter, [unique[r] for r in rows], chosen)

        out: list[tuple[float, int]] = [(0.0, 0)] * len(texts)
        per_text = map_batches(batch_size, [(len(text),) for text in unique], scores)
        for text, values in zip(unique, per_text, strict=True):
            for i, value in zip(groups[text], values, strict=True):
                out[i] = value
        return out

    return score


def run_analysis(
    ctx: RunContext,
    analysis: AnalysisConfig,
    selection: SelectionConfig,
    attributions: Mapping[str, Sequence[TokenAttribution]],
    teacher_key: str,
    teacher_factory: Callable[[], ModelAdapter],
    evidence: Mapping[str, Sequence[tuple[int, int]]],
    choices: Mapping[str, Sequence[str]] | None,
    batch_size: int,
) -> tuple[AnalysisResult, str]:
    """The analyses of every method's attributions at ``selection.k`` (and over
    ``analysis.k_sweep``), and the artifact key (for downstream keys). Faithfulness and AOPC
    are on the choice-normalised scale where ``choices`` (example id -> answer choices) are
    given, else on the answer-log-probability scale; the teacher scores their inputs in
    batches of ``batch_size`` at most (halved on out-of-memory).

    The result is always read back from analysis.json, so a fresh and a cached run return
    equal objects.
    """
    determinants = {
        "attributions": {
            m: stable_hash([(r.example_id, r.scores) for r in rs]) for m, rs in attributions.items()
        },
        "selection": selection.model_dump(mode="json"),
        "analysis": analysis.model_dump(mode="json"),
        "teacher": teacher_key,
        "evidence": stable_hash(dict(evidence)),
        "choices": stable_hash(dict(choices)) if choices is not None else None,
    }
    artifact = ctx.artifact("analyze", "rationales", determinants, upstream=[teacher_key])

    def produce(out: Path, _work: Path) -> dict:
        chosen = Selection(selection)
        result = analyze_records(attributions, chosen, selection.k, analysis.k_sweep, evidence, analysis.seed)
        if analysis.faithfulness_examples:
            logprobs = answer_logprobs(teacher_factory(), BatchSizer(AUTO, start=batch_size))
            scorer = ErasureScorer(logprobs, choices)
            n, seed, bins = analysis.faithfulness_examples, analysis.seed, analysis.aopc_bins
            rows, curves = erasure_rows(
                attributions, scorer, chosen, k=selection.k, n_examples=n, seed=seed, bins=bins
            )
            result = dataclasses.replace(
                result, faithfulness=rows, aopc=curves, faithfulness_scale=scorer.scale
            )
        atomic_write_json(out / ANALYSIS, result.to_json(), sort_keys=False)
        return {}

    ctx.build(artifact, produce)
    return AnalysisResult.from_json(json.loads((artifact.path / ANALYSIS).read_text())), artifact.key
