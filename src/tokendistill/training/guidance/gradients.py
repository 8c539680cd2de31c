"""The student's input gradients, kept differentiable (double backpropagation).

``∂ mean_t log p(answer_t | x) / ∂ e_i`` for every prompt token embedding ``e_i``, with the
graph kept so that a penalty on it trains the weights. PyTorch's fused CPU attention kernels
have no derivative of their backward, so the forward runs on the math kernel of scaled
dot-product attention (the same numbers, a slower kernel).
"""

from __future__ import annotations

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from tokendistill.models.adapter import ModelAdapter, picked_logprobs
from tokendistill.models.batch import EncodedBatch


def answer_input_gradients(adapter: ModelAdapter, batch: EncodedBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """(gradients, embeddings), both [B, P, H]: the gradient of each row's mean target
    log-probability with respect to its prompt embeddings, differentiable in the weights."""
    embeds = adapter.embed(batch.prompt_ids)
    if not embeds.requires_grad:  # frozen embeddings (LoRA): differentiate at them anyway
        embeds = embeds.detach().requires_grad_(True)
    with sdpa_kernel(SDPBackend.MATH):
        logprobs = picked_logprobs(adapter.target_logits(batch, embeds), batch)
    mask = batch.target_mask.to(logprobs.dtype)
    mean = (logprobs * mask).sum(-1) / mask.sum(-1).clamp(min=1)
    (grads,) = torch.autograd.grad(mean.sum(), embeds, create_graph=True)
    return grads, embeds
