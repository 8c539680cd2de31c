"""``guided-matching``: the student's own attribution made to match the teacher's marks.

The student's differentiable word attribution over the eligible prompt tokens (``saliency``:
the gradient's L2 norm; ``input_x_gradient``: |gradient · embedding|), normalised to a
distribution p, and the marks' distribution q (each marked word's weight shared by its
tokens); the term is ``λ · KL(q ‖ p)`` per label row, by double backpropagation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch
from pydantic import Field

from tokendistill.rationales.marks import Marks
from tokendistill.training.guidance.gradients import answer_input_gradients
from tokendistill.training.guidance.tokens import GuidanceTerm, label_batch
from tokendistill.training.modes.guided import Guided, GuidedOptions
from tokendistill.training.terms import StepBatch

StudentAttribution = Literal["saliency", "input_x_gradient"]
_EPS = 1e-8


class MatchingOptions(GuidedOptions):
    attribution: StudentAttribution = Field(
        "saliency", description="the student's own attribution matched to the marks"
    )


class AttributionMatch(GuidanceTerm):
    name = "guidance"

    def __init__(
        self, marks: Mapping[str, Marks], shift: int, weight: float, attribution: StudentAttribution
    ) -> None:
        super().__init__(marks, shift, weight)
        self.attribution = attribution

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        if not self.active(batch):
            return batch.logprobs.new_zeros(())
        rows, sub = label_batch(batch.inputs)
        grads, embeds = answer_input_gradients(batch.adapter, sub)
        scores = student_scores(grads.float(), embeds.float(), self.attribution)
        eligible = batch.inputs["guide_marked"][rows] | batch.inputs["guide_unmarked"][rows]
        q = batch.inputs["guide_q"][rows]
        return self.weight * self.per_label_token(marks_divergence(scores, eligible, q), sub, batch)


def student_scores(
    grads: torch.Tensor, embeds: torch.Tensor, attribution: StudentAttribution
) -> torch.Tensor:
    """[b, P] non-negative token scores, differentiable everywhere (ε inside the norm)."""
    if attribution == "saliency":
        return (grads.pow(2).sum(-1) + _EPS).sqrt()
    return (grads * embeds).sum(-1).abs()


def marks_divergence(scores: torch.Tensor, eligible: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """[b] KL(q ‖ p) with p the scores normalised over each row's eligible tokens."""
    masked = scores * eligible.to(scores.dtype)
    p = masked / masked.sum(-1, keepdim=True).clamp(min=_EPS)
    terms = torch.where(q > 0, q * (q.clamp(min=_EPS).log() - (p + _EPS).log()), torch.zeros_like(q))
    return terms.sum(-1)


class GuidedMatching(Guided):
    name = "guided-matching"
    options_model = MatchingOptions

    def guidance_term(self, options: MatchingOptions, marks: Mapping[str, Marks], shift: int) -> GuidanceTerm:
        return AttributionMatch(marks, shift, options.weight, options.attribution)

    def describe_own(self, options: MatchingOptions) -> list[str]:
        return [f"matching its {options.attribution.replace('_', '×')}"]
