"""One micro-batch's loss: the adapter's forward once, then the sum of the mode's loss terms
over it. The trainer's ``compute_loss`` and the unused-parameter probe both run this."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import token_logprobs
from tokendistill.models.head import target_hidden
from tokendistill.training.chunked import TargetOutputs
from tokendistill.training.data import as_encoded_batch
from tokendistill.training.terms import LossTerm, StepBatch


@dataclass(frozen=True)
class StepLoss:
    """``loss``: the terms' sum; ``values``: each term's value; ``logprobs`` [B, T] of the
    target tokens."""

    loss: torch.Tensor
    values: list[torch.Tensor]
    logprobs: torch.Tensor


def step_loss(
    adapter: ModelAdapter,
    terms: Sequence[LossTerm],
    inputs: Mapping[str, torch.Tensor],
    task_tokens: torch.Tensor,
    step: int,
    training: bool,
    *,
    flat: bool = False,
    head_chunk: int | None = None,
) -> StepLoss:
    """The loss of the padded batch ``inputs``, each term normalised by ``task_tokens`` [K]
    (each task's target tokens over the optimizer step); ``step``: optimizer steps done;
    ``flat``: compute the rows without their padding (``flat_target_logits``); ``head_chunk``:
    apply the output head and the terms' per-position losses that many target positions at a
    time (``TargetOutputs``) instead of to the whole batch's logits."""
    batch = as_encoded_batch(dict(inputs))
    if head_chunk:
        hidden, head = target_hidden(adapter, batch, flat=flat)  # [B, T, H]
        outputs = TargetOutputs(batch.target_mask, hidden=hidden, head=head, chunk=head_chunk)
    else:
        logits = adapter.flat_target_logits(batch) if flat else adapter.target_logits(batch)  # [B, T, V]
        outputs = TargetOutputs(batch.target_mask, logits=logits)
    picked = outputs.per_position(token_logprobs, batch.target_ids)
    logprobs = picked * batch.target_mask.to(picked.dtype)  # [B, T]
    view = StepBatch(adapter, inputs, outputs, logprobs, task_tokens, step, training)
    values = [term(view) for term in terms]
    loss = values[0]
    for value in values[1:]:
        loss = loss + value
    return StepLoss(loss, values, logprobs)
