"""Stage 6: rationale quality from stored scores: overlap, k-sweep, evidence, agreement,
faithfulness at k and over bins (AOPC), as a typed ``AnalysisResult`` written to analysis.json."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch

from tokendistill.attribution.result import TokenAttribution
from tokendistill.models.adapter import ModelAdapter
from tokendistill.rationales.analysis.config import AnalysisConfig
from tokendistill.rationales.analysis.result import AnalysisResult
from tokendistill.rationales.analysis.summary import analyze_records, aopc_rows, faithfulness_rows
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.runtime.batching import BatchSize, BatchSizer, map_in_order
from tokendistill.runtime.context import RunContext
from tokendistill.runtime.files import atomic_write_json, stable_hash

ANALYSIS = "analysis.json"


def target_probability(
    adapter: ModelAdapter, batch_size: BatchSize | BatchSizer = 16
) -> Callable[[list[str], list[str]], list[float]]:
    """score_fn for faithfulness: the teacher's per-token geometric-mean probability of the
    target, exp(mean log p), so targets of different lengths are comparable."""

    @torch.no_grad()
    def score(texts: list[str], targets: list[str]) -> list[float]:
        def probabilities(rows: slice) -> list[float]:
            batch = adapter.encode(texts[rows], targets[rows]).to(adapter.device)
            logprobs = adapter.target_logprobs(batch)
            mean = logprobs.sum(-1) / batch.target_mask.sum(-1).clamp(min=1)
            return mean.exp().tolist()

        return map_in_order(batch_size, len(texts), probabilities)

    return score


def run_analysis(
    ctx: RunContext,
    analysis: AnalysisConfig,
    selection: SelectionConfig,
    attributions: Mapping[str, Sequence[TokenAttribution]],
    teacher_key: str,
    teacher_factory: Callable[[], ModelAdapter],
    evidence: Mapping[str, Sequence[tuple[int, int]]],
) -> tuple[AnalysisResult, str]:
    """The analyses of every method's attributions at ``selection.k`` (and over
    ``analysis.k_sweep``), and the artifact key (for downstream keys).

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
    }
    artifact = ctx.artifact("analyze", "rationales", determinants, upstream=[teacher_key])

    def produce(out: Path, _work: Path) -> dict:
        chosen = Selection(selection)
        result = analyze_records(attributions, chosen, selection.k, analysis.k_sweep, evidence, analysis.seed)
        if analysis.faithfulness_examples:
            score_fn = target_probability(teacher_factory())
            n, seed = analysis.faithfulness_examples, analysis.seed
            rows = faithfulness_rows(attributions, selection.k, score_fn, chosen, n, seed)
            bins = analysis.aopc_bins
            curves = aopc_rows(attributions, score_fn, chosen, n, seed, bins) if bins else ()
            result = dataclasses.replace(result, faithfulness=rows, aopc=curves)
        atomic_write_json(out / ANALYSIS, result.to_json(), sort_keys=False)
        return {}

    ctx.build(artifact, produce)
    return AnalysisResult.from_json(json.loads((artifact.path / ANALYSIS).read_text())), artifact.key
