"""The teacher's targets for prompts: the top-k next tokens and tail at every token of a forced
answer, or each answer choice's summed log-probability. The distributions stage stores them once
per teacher (``stages/distributions.py``); on-policy soft labels score the student's own answers
with them during training (``training/on_policy.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.token_pieces import target_spans
from tokendistill.runtime.batching import BatchSize, BatchSizer, map_in_order
from tokendistill.training.losses import tail_logprob
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import ChoiceTarget, VocabularyTarget

Target = VocabularyTarget | ChoiceTarget


@torch.no_grad()
def teacher_targets(
    adapter: ModelAdapter,
    settings: SoftLabelConfig,
    prompts: Sequence[str],
    wanted: Sequence[Sequence[str]],
    batch_size: BatchSize | BatchSizer,
) -> list[Target]:
    """The teacher's targets for ``prompts``: per prompt, ``wanted`` holds the forced answer
    (``vocabulary``: its top-k next tokens at every answer token) or the answer choices
    (``choices``: each one's summed log-probability)."""
    if settings.over == "choices":
        scores = adapter.score_choices(prompts, wanted, batch_size=batch_size)
        return [ChoiceTarget(tuple(c), tuple(s)) for c, s in zip(wanted, scores, strict=True)]

    def top_k(chunk: slice) -> list[Target]:
        batch = adapter.encode(prompts[chunk], [w[0] for w in wanted[chunk]]).to(adapter.device)
        logprobs = torch.log_softmax(adapter.target_logits(batch).float(), dim=-1)
        top = logprobs.topk(min(settings.top_k, logprobs.shape[-1]), dim=-1)
        tail = tail_logprob(logprobs, top.indices)
        lengths = batch.target_mask.sum(-1).tolist()
        return [
            VocabularyTarget(
                tuple(batch.target_ids[row, :n].tolist()),
                tuple(map(tuple, top.indices[row, :n].tolist())),
                tuple(map(tuple, top.values[row, :n].tolist())),
                tuple(tail[row, :n].tolist()),
                tuple(target_spans(adapter, answer[0])),
            )
            for row, (n, answer) in enumerate(zip(lengths, wanted[chunk], strict=True))
        ]

    return map_in_order(batch_size, len(prompts), top_k)
