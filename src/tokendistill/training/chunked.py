"""Per-position losses over a vocabulary, computed in chunks of positions.

A loss over the vocabulary (cross-entropy, a divergence to the teacher's distribution) needs
each position's logits, ``hidden @ head.T``: for N positions and a vocabulary of V that is an
N × V tensor, and its float32 log-softmax and gradient as large again (at 4,096 positions and
SmolLM2's 49,152 tokens, 805 MB each). ``chunked_head`` runs the head and the loss on
``chunk`` positions at a time under activation checkpointing: the forward keeps only each
chunk's per-position results, and the backward recomputes one chunk's logits at a time. The
values and gradients are those of the direct computation (as in TRL's chunked losses and
Liger Kernel's fused linear cross-entropy / JSD, without a custom kernel).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.checkpoint import checkpoint

PositionLoss = Callable[..., torch.Tensor]


def chunked_head(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    loss: PositionLoss,
    *per_position: torch.Tensor,
    chunk: int = 512,
) -> torch.Tensor:
    """``loss(hidden @ weight.T, *per_position)`` chunk by chunk over the positions.

    Args:
        hidden: [N, H] the positions' last hidden states.
        weight: [V, H] the output head's weight.
        loss: maps a chunk's logits [n, V] and its slices of ``per_position`` to per-position
            values [n, ...].
        per_position: tensors with N leading rows (target ids, the teacher's top-k...).
        chunk: positions per chunk.

    Returns:
        [N, ...] the per-position values, differentiable with respect to ``hidden`` and
        ``weight``.
    """

    def run(h: torch.Tensor, w: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        return loss(h @ w.T, *rest)

    outs = []
    for start in range(0, hidden.shape[0], chunk):
        rows = slice(start, start + chunk)
        parts = [t[rows] for t in per_position]
        outs.append(checkpoint(run, hidden[rows], weight, *parts, use_reentrant=False))
    return torch.cat(outs)
