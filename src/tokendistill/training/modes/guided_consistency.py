"""``guided-consistency``: the label trained also on the input reduced to the marked words.

Sufficiency as a training signal (ERASER's sufficiency, DeYoung et al. 2020): every label row
is also read with the other eligible words hidden (attention mask 0; template and punctuation
stay), and the term is ``λ · CE(label | reduced) + β · KL(p(· | x) ‖ p(· | reduced))`` over the
label's tokens, so the full input's prediction must agree with what the marked words alone
say. Optional comprehensiveness (``complement`` γ > 0): ``γ · p(label | x without the marks)``
penalises a confident answer once the marked words are hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import torch
from pydantic import Field

from tokendistill.models.adapter import picked_logprobs
from tokendistill.models.batch import EncodedBatch
from tokendistill.rationales.marks import Marks
from tokendistill.training.guidance.tokens import GuidanceTerm, label_batch
from tokendistill.training.modes.guided import Guided, GuidedOptions
from tokendistill.training.terms import StepBatch


class ConsistencyOptions(GuidedOptions):
    divergence: float = Field(
        1.0, ge=0.0, description="β: KL between the full and the reduced input's answers"
    )
    complement: float = Field(
        0.0, ge=0.0, description="γ: penalty on the answer's probability with the marked words hidden"
    )


class Consistency(GuidanceTerm):
    name = "guidance"

    def __init__(
        self, marks: Mapping[str, Marks], shift: int, weight: float, divergence: float, complement: float
    ) -> None:
        super().__init__(marks, shift, weight)
        self.divergence = divergence
        self.complement = complement

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        if not self.active(batch):
            return batch.logprobs.new_zeros(())
        rows, sub = label_batch(batch.inputs)
        hidden = batch.inputs["guide_unmarked"][rows]
        reduced_logits = batch.adapter.target_logits(_hiding(sub, hidden))
        mask = sub.target_mask.to(torch.float32)
        nll = -(picked_logprobs(reduced_logits, sub).float() * mask).sum(-1)
        full = batch.logits[rows].float().log_softmax(-1)
        reduced = reduced_logits.float().log_softmax(-1)
        kl = ((full.exp() * (full - reduced)).sum(-1) * mask).sum(-1)
        per_row = self.weight * nll + self.divergence * kl
        if self.complement > 0:
            without = batch.adapter.target_logits(_hiding(sub, batch.inputs["guide_marked"][rows]))
            confident = (picked_logprobs(without, sub).float().exp() * mask).sum(-1)
            per_row = per_row + self.complement * confident
        return self.per_label_token(per_row / mask.sum(-1).clamp(min=1), sub, batch)


def _hiding(batch: EncodedBatch, hidden: torch.Tensor) -> EncodedBatch:
    """``batch`` with the ``hidden`` [b, P] prompt tokens masked out of attention."""
    return replace(batch, prompt_mask=batch.prompt_mask * (~hidden).to(batch.prompt_mask.dtype))


class GuidedConsistency(Guided):
    name = "guided-consistency"
    options_model = ConsistencyOptions

    def guidance_term(
        self, options: ConsistencyOptions, marks: Mapping[str, Marks], shift: int
    ) -> GuidanceTerm:
        return Consistency(marks, shift, options.weight, options.divergence, options.complement)

    def describe_own(self, options: ConsistencyOptions) -> list[str]:
        own = [f"β={options.divergence:g}"]
        return own + ([f"γ={options.complement:g}"] if options.complement else [])
