"""``attribute``: examples in, one ``TokenAttribution`` per example out (in input order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from tokendistill.attribution.batching import sort_keys
from tokendistill.attribution.config import AttributionSettings
from tokendistill.attribution.contrast import best_foils, with_foils
from tokendistill.attribution.freeze import frozen
from tokendistill.attribution.memory import checkpointed
from tokendistill.attribution.methods.base import AttributionMethod, MethodInputs
from tokendistill.attribution.objective import Objective
from tokendistill.attribution.registry import get_method
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.targets import ScoreFn, generate_answers, is_correct
from tokendistill.attribution.tokens import Outcome, content_mask, to_record, token_slots
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch
from tokendistill.runtime.batching import AUTO_START, BatchSizer, map_batches
from tokendistill.tasks.example import Example
from tokendistill.tasks.metrics import exact_match


def resolve_method(method: str | AttributionMethod) -> AttributionMethod:
    """A method instance: ``method`` itself, or the registered one with its default options
    (configured instances come from ``AttributionConfig.method`` or ``get_method``)."""
    return method if isinstance(method, AttributionMethod) else get_method(method)


def score_batch(method: AttributionMethod, objective: Objective, inputs: MethodInputs) -> torch.Tensor:
    """Scores [B, P] (float32, CPU) of one encoded batch, with the model frozen meanwhile and
    its blocks checkpointed when the model's settings ask for gradient checkpointing."""
    adapter = objective.adapter
    with frozen(adapter.model), checkpointed(adapter.model, adapter.settings.gradient_checkpointing):
        return method.attribute(inputs, objective).float().cpu()


def attribute(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    method: str | AttributionMethod,
    *,
    split: str,
    settings: AttributionSettings | None = None,
    score_fn: ScoreFn = exact_match,
    prefix: str = "",
    teacher_answers: Sequence[str] | None = None,
    sizer: BatchSizer | None = None,
) -> list[TokenAttribution]:
    """Attribute every example's forced target to its prompt tokens.

    The prompt is ``example.with_prefix(prefix).text``. ``teacher_answers`` (aligned with
    ``examples``) skips generation when the teacher's greedy answers are already known.
    Examples are processed in length-sorted batches of ``settings.batch_size`` (``sizer``
    carries an ``auto`` size found earlier into this call); results come back in input order.
    Parameters are frozen and the model is in eval mode throughout; both are restored
    afterwards, also on error.
    """
    cfg = settings or AttributionSettings()
    impl = resolve_method(method)
    if teacher_answers is not None and len(teacher_answers) != len(examples):
        raise ValueError(f"{len(examples)} examples but {len(teacher_answers)} teacher answers")
    prompts = [ex.with_prefix(prefix).text for ex in examples]
    objective = Objective(adapter, cfg.attributed_fn, cfg.aggregation, contrastive=cfg.contrastive)
    sizer = sizer or BatchSizer(cfg.batch_size, AUTO_START)
    with frozen(adapter.model):
        outcomes = _outcomes(adapter, examples, prompts, cfg, score_fn, teacher_answers)
        targets = [o.target for o in outcomes]
        foils = None
        if cfg.contrastive:
            foils = best_foils(objective, examples, prompts, targets, sizer=sizer)
        per_step = cfg.aggregation == "per_step" and impl.depends_on_aggregation
        keys = sort_keys(adapter.tokenizer, prompts, targets, per_step=per_step)

        def score(rows: list[int]) -> list[TokenAttribution]:
            batch = adapter.encode([prompts[i] for i in rows], [targets[i] for i in rows]).to(adapter.device)
            if foils is not None:
                batch = with_foils(objective, batch, [foils[i] for i in rows])
            chunk = [(examples[i], outcomes[i]) for i in rows]
            return _attribute_encoded(impl, objective, batch, chunk, split, len(prefix))

        return map_batches(sizer, keys, score)


def _outcomes(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    prompts: Sequence[str],
    cfg: AttributionSettings,
    score_fn: ScoreFn,
    teacher_answers: Sequence[str] | None,
) -> list[Outcome]:
    """Teacher answer (generated unless given), forced target and correctness per example."""
    if teacher_answers is None:
        sizer = BatchSizer(cfg.batch_size, AUTO_START)
        teacher_answers = generate_answers(adapter, prompts, sizer=sizer, max_new_tokens=cfg.max_new_tokens)
    return [
        Outcome(answer if cfg.target == "teacher" else ex.label, answer, is_correct(score_fn, answer, ex))
        for ex, answer in zip(examples, teacher_answers, strict=True)
    ]


def _attribute_encoded(
    method: AttributionMethod,
    objective: Objective,
    batch: EncodedBatch,
    chunk: Sequence[tuple[Example, Outcome]],
    split: str,
    prefix_len: int,
) -> list[TokenAttribution]:
    """Records of one encoded batch (rows aligned with ``chunk``)."""
    slots = [
        token_slots(offs, ex, prefix_len) for offs, (ex, _) in zip(batch.prompt_offsets, chunk, strict=True)
    ]
    mask = content_mask(batch.prompt_ids.shape, slots)
    inputs = MethodInputs(batch, mask.to(batch.prompt_ids.device), [ex.id for ex, _ in chunk])
    scores = score_batch(method, objective, inputs).tolist()  # [B][P]
    tokenizer = objective.adapter.tokenizer
    return [
        to_record(ex, split, row_slots, tokenizer.convert_ids_to_tokens(ids), row_scores, outcome)
        for (ex, outcome), row_slots, ids, row_scores in zip(
            chunk, slots, batch.prompt_ids.tolist(), scores, strict=True
        )
    ]


def run_metadata(
    adapter: ModelAdapter,
    method: AttributionMethod,
    settings: AttributionSettings,
    *,
    split: str,
    prefix: str = "",
) -> dict[str, Any]:
    """What determines an attribution artifact, as JSON-able metadata (no rank, no timing).

    ``config`` holds the engine settings and the method's full options (defaults included).
    """
    return {
        "method": method.name,
        "config": {**settings.settings_dict(), "method_options": method.options()},
        "split": split,
        "prefix": prefix,
        "model": str(getattr(adapter.model.config, "name_or_path", "") or ""),
        "architecture": adapter.architecture,
    }
