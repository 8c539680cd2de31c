"""One micro-batch's loss: the adapter's forward once, then the sum of the mode's loss terms
over it. The trainer's ``compute_loss`` and the unused-parameter probe both run this."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import picked_logprobs
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
) -> StepLoss:
    """The loss of the padded batch ``inputs``, each term normalised by ``task_tokens`` [K]
    (each task's target tokens over the optimizer step); ``step``: optimizer steps done;
    ``flat``: compute the rows without their padding (``flat_target_logits``)."""
    batch = as_encoded_batch(dict(inputs))
    logits = adapter.flat_target_logits(batch) if flat else adapter.target_logits(batch)  # [B, T, V]
    logprobs = picked_logprobs(logits, batch)  # [B, T]
    view = StepBatch(adapter, inputs, logits, logprobs, task_tokens, step, training)
    values = [term(view) for term in terms]
    loss = values[0]
    for value in values[1:]:
        loss = loss + value
    return StepLoss(loss, values, logprobs)
