"""Leave-one-out: how much the attributed function drops when one content token is removed.

"Removed" keeps lengths fixed: the token's input embedding is replaced by the pad token's
embedding (``occlusion="pad"``, default) or by zeros (``"zero"``); its attention-mask entry
stays 1. Deleting the token instead would shift positions and change tokenisation, so
scores would mix the token's content with a position effect. Only content tokens are
occluded (others get 0), in chunks of ``internal_batch_size`` occluded copies per forward.

``score_p = F(x) - F(x with token p occluded)``, ``F`` the mean over target tokens of the
attributed function. Because ``F`` is a mean, the per-step average of per-step differences
is the same number: the aggregation option does not change this method.
"""

from __future__ import annotations

import torch

from tokendistill.attribution.methods.base import AttributionMethod, MethodInputs
from tokendistill.attribution.objective import Objective
from tokendistill.runtime.batching import each_batch

OCCLUSIONS: tuple[str, ...] = ("pad", "zero")


class LeaveOneOut(AttributionMethod):
    name = "leave_one_out"
    summary = "change in the answer's score when one token is removed"

    def __init__(self, occlusion: str = "pad", internal_batch_size: int = 64) -> None:
        if occlusion not in OCCLUSIONS:
            raise ValueError(f"{self.name}: occlusion must be one of {list(OCCLUSIONS)}, got {occlusion!r}")
        if internal_batch_size < 1:
            raise ValueError(f"{self.name}: internal_batch_size must be >= 1")
        self.occlusion = occlusion
        self.internal_batch_size = internal_batch_size

    def options(self) -> dict[str, object]:
        return {"occlusion": self.occlusion, "internal_batch_size": self.internal_batch_size}

    @torch.inference_mode()
    def attribute(self, inputs: MethodInputs, objective: Objective) -> torch.Tensor:
        batch = inputs.batch
        embeds = objective.adapter.embed(batch.prompt_ids)  # [B, P, H]
        scores = torch.zeros(batch.prompt_ids.shape, dtype=torch.float32, device=embeds.device)
        full = objective.values(batch, embeds)  # [B]
        filler = self._filler(objective, embeds)  # [H]
        # (example, position) of every content token: [K] each.
        ex_idx, pos_idx = inputs.content_mask.to(embeds.device).nonzero(as_tuple=True)

        def occlude(chunk: slice) -> None:
            ex, pos = ex_idx[chunk], pos_idx[chunk]  # [k] each
            occluded = embeds[ex].clone()  # [k, P, H]
            occluded[torch.arange(len(ex), device=ex.device), pos] = filler
            values = objective.values(batch.select(ex.tolist()), occluded)  # [k]
            scores[ex, pos] = full[ex] - values

        each_batch(self.internal_batch_size, len(ex_idx), occlude)
        return scores

    def _filler(self, objective: Objective, embeds: torch.Tensor) -> torch.Tensor:
        if self.occlusion == "zero":
            return torch.zeros(embeds.shape[-1], dtype=embeds.dtype, device=embeds.device)
        pad = torch.tensor([objective.adapter.tokenizer.pad_token_id], device=embeds.device)
        return objective.adapter.embed(pad)[0]
