"""Attention weights as the attention method reads them: eager kernels, averaged over targets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from transformers import PreTrainedModel


@contextmanager
def eager_attention(model: PreTrainedModel) -> Iterator[None]:
    """Temporarily use eager attention, the only kind that returns attention weights."""
    previous = getattr(model.config, "_attn_implementation", None)
    switch = previous not in (None, "eager") and hasattr(model, "set_attn_implementation")
    if switch:
        model.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switch:
            model.set_attn_implementation(previous)


def mean_over_targets(weights: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
    """[B, T, P] attention weights -> [B, P], averaging only over real target tokens."""
    mask = target_mask.to(weights.dtype).unsqueeze(-1)
    return (weights * mask).sum(1) / mask.sum(1).clamp(min=1.0)
