"""Per-position losses over a vocabulary, computed in chunks of positions.

A loss over the vocabulary (cross-entropy, a divergence to the teacher's distribution) needs
each position's logits, ``hidden @ head.T``: for N positions and a vocabulary of V that is an
N × V tensor, and its float32 log-softmax and gradient as large again (at 4,096 positions and
SmolLM2's 49,152 tokens, 805 MB each). ``chunked_head`` runs the head and the loss on
``chunk`` positions at a time under activation checkpointing: the forward keeps only each
chunk's per-position results, and the backward recomputes one chunk's logits at a time. The
values and gradients are those of the direct computation (as in TRL's chunked losses and
Liger Kernel's fused linear cross-entropy / JSD, without a custom kernel).

``TargetOutputs`` is what a training step's loss terms read of the student's outputs: the
logits of the whole batch, or (``training.head_chunk``) the hidden states and the head, each
term's per-position values then computed chunk by chunk over the real target positions only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import torch
from torch.utils.checkpoint import checkpoint

from tokendistill.models.head import OutputHead

PositionLoss = Callable[..., torch.Tensor]


def chunked_head(
    hidden: torch.Tensor,
    head: OutputHead,
    loss: PositionLoss,
    *per_position: torch.Tensor,
    chunk: int = 512,
) -> torch.Tensor:
    """``loss(head(hidden), *per_position)`` chunk by chunk over the positions.

    Args:
        hidden: [N, H] the positions' last hidden states.
        head: the output head (weight [V, H], bias).
        loss: maps a chunk's logits [n, V] and its slices of ``per_position`` to per-position
            values [n, ...].
        per_position: tensors with N leading rows (target ids, the teacher's top-k...).
        chunk: positions per chunk.

    Returns:
        [N, ...] the per-position values, differentiable with respect to ``hidden`` and the
        head's parameters.
    """

    def run(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, *rest: torch.Tensor):
        return loss(OutputHead(weight, bias)(h), *rest)

    outs = []
    for start in range(0, hidden.shape[0], chunk):
        rows = slice(start, start + chunk)
        parts = [t[rows] for t in per_position]
        outs.append(checkpoint(run, hidden[rows], head.weight, head.bias, *parts, use_reentrant=False))
    return torch.cat(outs)


class TargetOutputs:
    """A batch's outputs at its target positions (mask ``target_mask`` [B, T]): its logits
    [B, T, V], or its last hidden states [B, T, H] and output head with ``chunk`` positions per
    chunk, when the logits of the whole batch are never to exist at once."""

    def __init__(
        self,
        target_mask: torch.Tensor,
        *,
        logits: torch.Tensor | None = None,
        hidden: torch.Tensor | None = None,
        head: OutputHead | None = None,
        chunk: int = 512,
    ) -> None:
        if (logits is None) == (hidden is None or head is None):
            raise ValueError("TargetOutputs takes logits, or hidden states and a head")
        self.target_mask = target_mask
        self._direct = logits
        self.hidden, self.head, self.chunk = hidden, head, chunk

    @cached_property
    def logits(self) -> torch.Tensor:
        """[B, T, V] (with a head and hidden states: computed whole, for a term that needs the
        full distribution of every position rather than per-position values)."""
        if self._direct is not None:
            return self._direct
        assert self.head is not None and self.hidden is not None
        return self.head(self.hidden)

    def per_position(self, loss: PositionLoss, *per_position: torch.Tensor) -> torch.Tensor:
        """``loss(logits, *per_position)`` [B, T, ...]: ``loss`` maps logits [..., V] and
        tensors of the same leading dimensions to values [..., ...]. Chunked, only the real
        target positions are computed; the others hold 0."""
        if self._direct is not None:
            return loss(self._direct, *per_position)
        assert self.head is not None and self.hidden is not None
        real = self.target_mask.bool()
        values = chunked_head(
            self.hidden[real], self.head, loss, *[t[real] for t in per_position], chunk=self.chunk
        )
        out = values.new_zeros((*real.shape, *values.shape[1:]))
        return out.index_put((real,), values)
