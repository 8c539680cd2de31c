"""Stage 6: rationale quality from stored scores: overlap, k-sweep, agreement, faithfulness."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from tokendistill.artifacts import atomic_write_json, stable_hash
from tokendistill.attribution.result import TokenAttribution
from tokendistill.config import Config
from tokendistill.models.adapter import ModelAdapter
from tokendistill.rationales.analysis import (
    evidence_hits,
    faithfulness,
    gold_answer_words,
    gold_overlap,
    k_sweep,
    method_agreement,
)
from tokendistill.rationales.select import Selection
from tokendistill.rationales.text import words_of
from tokendistill.stages.context import RunContext
from tokendistill.stages.select import selection_of

ANALYSIS = "analysis.json"


def target_probability(
    adapter: ModelAdapter, batch_size: int = 16
) -> Callable[[list[str], list[str]], list[float]]:
    """score_fn for faithfulness: the teacher's per-token geometric-mean probability of the
    target, exp(mean log p), so targets of different lengths are comparable."""

    @torch.no_grad()
    def score(texts: list[str], targets: list[str]) -> list[float]:
        out: list[float] = []
        for i in range(0, len(texts), batch_size):
            batch = adapter.encode(texts[i : i + batch_size], targets[i : i + batch_size]).to(adapter.device)
            logprobs = adapter.target_logprobs(batch)
            mean = logprobs.sum(-1) / batch.target_mask.sum(-1).clamp(min=1)
            out.extend(mean.exp().tolist())
        return out

    return score


def run_analysis(
    ctx: RunContext,
    config: Config,
    attributions: dict[str, list[TokenAttribution]],
    teacher_key: str,
    teacher_factory: Callable[[], ModelAdapter],
    evidence: dict[str, list[tuple[int, int]]] | None = None,
) -> tuple[dict, str]:
    """The analyses as a dict, and the artifact key (for downstream keys)."""
    selection = selection_of(config)
    k = config.selection.k
    determinants = {
        "attributions": {
            m: stable_hash([(r.example_id, r.scores) for r in rs]) for m, rs in attributions.items()
        },
        "selection": config.selection.model_dump(mode="json"),
        "analysis": config.analysis.model_dump(mode="json"),
        "teacher": teacher_key,
        "evidence": stable_hash(evidence or {}),
    }
    artifact = ctx.artifact("analyze", "rationales", determinants)

    def produce(out: Path, _work: Path) -> dict:
        ks = config.analysis.k_sweep
        result = {
            "gold_in_input": _gold_in_input_share(next(iter(attributions.values()))),
            "overlap": [_overlap_row(m, rs, k, selection) for m, rs in attributions.items()],
            "k_sweep": {
                m: {r.k: r.overlap for r in k_sweep(rs, ks, selection)} for m, rs in attributions.items()
            },
            "evidence_sweep": _evidence_sweep(attributions, evidence or {}, ks, selection, config.seeds[0]),
            "agreement": _agreement_rows(attributions, k, selection),
            "evidence": _evidence_rows(attributions, evidence or {}, k, selection, config.seeds[0]),
            "faithfulness": _faithfulness_rows(config, attributions, k, selection, teacher_factory),
        }
        atomic_write_json(out / ANALYSIS, _finite_or_null(result), sort_keys=False)
        return {}

    ctx.build(artifact, produce)
    data = json.loads((artifact.path / ANALYSIS).read_text())
    for name in ("k_sweep", "evidence_sweep"):
        data[name] = {m: {int(kk): v for kk, v in pts.items()} for m, pts in data[name].items()}
    return data, artifact.key


def _overlap_row(method: str, records: Sequence[TokenAttribution], k: int, selection: Selection) -> dict:
    r = gold_overlap(records, k, selection)
    return {
        "method": method,
        "k": k,
        "examples": r.n,
        "overlap": r.overlap,
        "teacher right": r.overlap_right,
        "n right": r.n_right,
        "teacher wrong": r.overlap_wrong,
        "n wrong": r.n_wrong,
        "non-finite": r.n_nonfinite,
    }


def _evidence_rows(
    attributions: dict[str, list[TokenAttribution]],
    evidence: dict[str, list[tuple[int, int]]],
    k: int,
    selection: Selection,
    seed: int,
) -> list[dict]:
    if not evidence:
        return []
    rows = []
    for method, records in attributions.items():
        r = evidence_hits(records, evidence, k, selection, seed=seed)
        rows.append(
            {
                "method": method,
                "k": k,
                "examples": r.n,
                "top-k hit rate": r.hit_rate,
                "random-k hit rate": r.random_rate,
            }
        )
    return rows


def _evidence_sweep(
    attributions: dict[str, list[TokenAttribution]],
    evidence: dict[str, list[tuple[int, int]]],
    ks: Sequence[int],
    selection: Selection,
    seed: int,
) -> dict[str, dict[int, float | None]]:
    """Evidence hit rate per method and k, plus the random-k chance line (same pool for all)."""
    if not evidence:
        return {}
    out: dict[str, dict[int, float | None]] = {}
    for method, records in attributions.items():
        results = [evidence_hits(records, evidence, kk, selection, seed=seed) for kk in ks]
        out[method] = {r.k: r.hit_rate for r in results}
        out.setdefault("chance (random-k)", {r.k: r.random_rate for r in results})
    return out


def _gold_in_input_share(records: Sequence[TokenAttribution]) -> float | None:
    """Share of examples whose gold answer has a word in the content text: the ceiling of
    gold-answer overlap (0 when labels never appear in inputs, e.g. NLI or synthetic)."""
    hits = n = 0
    for r in records:
        gold = gold_answer_words(r.gold)
        if not gold:
            continue
        n += 1
        content = {
            w for (s, e), c in zip(r.offsets, r.content, strict=True) if c for w in words_of(r.text[s:e])
        }
        hits += bool(gold & content)
    return hits / n if n else None


def _agreement_rows(
    attributions: dict[str, list[TokenAttribution]], k: int, selection: Selection
) -> list[dict]:
    rows = []
    for a, b in itertools.combinations(sorted(attributions), 2):
        agreement = method_agreement(attributions[a], attributions[b], k, selection, score_unit="token")
        rows.append(
            {
                "methods": f"{a} vs {b}",
                f"top-{k} Jaccard": agreement.mean_jaccard,
                "Spearman": agreement.mean_spearman,
                "examples": agreement.n_common,
            }
        )
    return rows


def _faithfulness_rows(
    config: Config,
    attributions: dict[str, list[TokenAttribution]],
    k: int,
    selection: Selection,
    teacher_factory: Callable[[], ModelAdapter],
) -> list[dict]:
    n = config.analysis.faithfulness_examples
    if n == 0:
        return []
    score_fn = target_probability(teacher_factory())
    rows = []
    for method, records in attributions.items():
        res = faithfulness(records[:n], k, score_fn, selection, seed=config.seeds[0])
        comp, suff = res["comprehensiveness"], res["sufficiency"]
        rows.append(
            {
                "method": method,
                "k": k,
                "examples": len(comp.example_ids),
                "comprehensiveness": comp.mean,
                "comp. random-k": comp.mean_random,
                "sufficiency": suff.mean,
                "suff. random-k": suff.mean_random,
            }
        )
    return rows


def _finite_or_null(value):
    """NaN means "undefined" (e.g. Spearman of constant scores); JSON spells that null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value
