"""Methods without gradients: attention weights and the seeded random control."""

from __future__ import annotations

import hashlib

import torch

from tokendistill.attribution.methods.base import AttributionMethod, MethodInputs
from tokendistill.attribution.objective import Objective


class Attention(AttributionMethod):
    """Attention from the target positions to each prompt token, averaged over layers,
    heads and target tokens (``adapter.prompt_attention``: decoder cross-attention for
    seq2seq, self-attention for causal models)."""

    name = "attention"
    summary = "attention from the answer to each prompt token"

    @torch.inference_mode()
    def attribute(self, inputs: MethodInputs, objective: Objective) -> torch.Tensor:
        batch = inputs.batch
        weights = objective.adapter.prompt_attention(batch).float()  # [B, P]
        return weights * batch.prompt_mask.to(weights.dtype)


class RandomControl(AttributionMethod):
    """Uniform [0, 1) scores, the ablation's control (a score control, not the ``random``
    rationale source, which picks k random words). Each example's scores come from a
    generator seeded by ``(seed, example id)``, so they do not depend on batching, order,
    padding or the process that computes them."""

    name = "random"
    summary = "control: a random score per token (the source `random` picks words)"
    is_control = True

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def options(self) -> dict[str, object]:
        return {"seed": self.seed}

    def attribute(self, inputs: MethodInputs, objective: Objective) -> torch.Tensor:
        mask = inputs.batch.prompt_mask.cpu().bool()  # [B, P]
        scores = torch.zeros(mask.shape, dtype=torch.float32)
        for row, example_id in enumerate(inputs.example_ids):
            gen = torch.Generator().manual_seed(_example_seed(self.seed, example_id))
            # Scores for the real tokens in order, whichever side the padding is on.
            scores[row, mask[row]] = torch.rand(int(mask[row].sum()), generator=gen)
        return scores.to(inputs.batch.prompt_ids.device)


def _example_seed(seed: int, example_id: str) -> int:
    """A stable 63-bit seed (Python's ``hash`` is salted per process)."""
    digest = hashlib.sha256(f"{seed}\x00{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)
