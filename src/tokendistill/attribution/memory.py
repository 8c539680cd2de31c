"""Fitting attribution into memory: recomputed activations (batch sizes that back off are
``tokendistill.runtime.batching``'s).

``checkpointed``: gradient checkpointing for attribution. transformers checkpoints its blocks
only in training mode, but attribution runs in eval mode (no dropout: deterministic scores),
so each block's forward is wrapped here instead: only the block's inputs are kept for the
backward pass, which recomputes the rest. Non-reentrant checkpointing passes gradients to the
input embeddings although every parameter is frozen, and the recomputed forward is the same
computation, so scores do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch.utils.checkpoint import checkpoint
from transformers.modeling_layers import GradientCheckpointingLayer


@contextmanager
def checkpointed(model: torch.nn.Module, enabled: bool = True) -> Iterator[None]:
    """Every transformer block of ``model`` recomputes its activations in the backward pass
    inside (when ``enabled``); the blocks' own ``forward`` is restored on exit, also on error."""
    if not enabled:
        yield
        return
    blocks = [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)]
    if not blocks:
        raise ValueError(
            f"{type(model).__name__} has no blocks transformers can checkpoint; "
            "set gradient_checkpointing: false for this model"
        )
    # An instance may carry its own forward already (accelerate's offloading hooks): keep it.
    own = [(block, block.__dict__.get("forward")) for block in blocks]
    try:
        for block in blocks:
            block.forward = _recomputing(block.forward)
        yield
    finally:
        for block, forward in own:
            if forward is None:
                del block.forward
            else:
                block.forward = forward


def _recomputing(forward: Callable) -> Callable:
    def run(*args, **kwargs):
        if not torch.is_grad_enabled():
            return forward(*args, **kwargs)
        return checkpoint(forward, *args, use_reentrant=False, **kwargs)

    return run
