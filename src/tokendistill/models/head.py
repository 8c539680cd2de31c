"""The output head apart from the model: the hidden states it is given, and its projection.

A loss over the vocabulary computed in chunks of positions (``training/chunked.py``) needs the
last hidden states at the target positions and the head's weights rather than the logits of
the whole batch. ``head_skipped`` runs the model's own forward with its output head returning
its input unchanged, so every model-specific step before the head (a final norm, T5's
rescaling, BERT's prediction transform, ``logits_to_keep``) still happens, and the head is
applied afterwards by ``OutputHead``. A model that changes the logits after its head (logit
soft-capping, for one) would be misread; training checks one batch both ways before relying on
it (``training/layouts.py``'s ``check_head_chunk``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:
    from tokendistill.models.adapter import ModelAdapter
    from tokendistill.models.batch import EncodedBatch


@dataclass(frozen=True)
class OutputHead:
    """A linear output head: ``weight`` [V, H] and ``bias`` [V] (or None)."""

    weight: torch.Tensor
    bias: torch.Tensor | None

    def __call__(self, hidden: torch.Tensor) -> torch.Tensor:
        """Logits [..., V] of hidden states [..., H]."""
        return F.linear(hidden, self.weight, self.bias)


def linear_head(model: nn.Module) -> nn.Linear:
    """``model``'s output head; a ValueError where it is not a linear layer."""
    head = model.get_output_embeddings()
    if not isinstance(head, nn.Linear):
        raise ValueError(
            f"a chunked head needs a linear output head; {type(model).__name__}'s is a {type(head).__name__}"
        )
    return head


def _unchanged(hidden: torch.Tensor) -> torch.Tensor:
    return hidden


@contextmanager
def head_skipped(model: nn.Module) -> Iterator[OutputHead]:
    """Within: ``model``'s output head returns the hidden states it is given (its forward is
    shadowed on the instance, then restored); yields the head to apply to them."""
    head = linear_head(model)
    head.forward = _unchanged
    try:
        yield OutputHead(head.weight, head.bias)
    finally:
        del head.forward


def target_hidden(
    adapter: ModelAdapter, batch: EncodedBatch, *, flat: bool = False
) -> tuple[torch.Tensor, OutputHead]:
    """The last hidden states that predict each target token of ``batch``, [B, T, H], and the
    output head that maps them to ``adapter.target_logits`` (``flat``: as
    ``flat_target_logits``)."""
    with head_skipped(adapter.model) as head:
        hidden = adapter.flat_target_logits(batch) if flat else adapter.target_logits(batch)
    return hidden, head
