"""Saliency and input×gradient: one gradient (per step), no path, no perturbation."""

from __future__ import annotations

from collections.abc import Iterator

from tokendistill.attribution.methods.base import GradientMethod, MethodInputs, RawStep, all_rows
from tokendistill.attribution.objective import Objective


class Saliency(GradientMethod):
    """``||d f / d e_p||`` per prompt token ``p`` (Simonyan et al. 2014; the paper's method).

    ``raw`` is |grad| as in Captum's ``Saliency(abs=True)``; ``norm="l2"`` (default) is the
    paper's score and Inseq's ``vnorm`` aggregation, ``norm="abs_sum"`` the L1 norm.
    """

    name = "saliency"
    summary = "gradient norm per token (the paper's method)"

    def __init__(self, norm: str = "l2") -> None:
        super().__init__(reduction=norm)

    @classmethod
    def allowed_reductions(cls) -> tuple[str, ...]:
        return ("l2", "abs_sum")

    def raw_steps(self, inputs: MethodInputs, objective: Objective) -> Iterator[RawStep]:
        batch = inputs.batch
        rows = all_rows(batch)
        for g in objective.gradients(batch, objective.embed(batch)):
            yield RawStep(rows, g.grad.abs(), g.weight, g.step)

    def options(self) -> dict[str, object]:
        return {"norm": self.reduction}


class InputXGradient(GradientMethod):
    """``e_p · d f / d e_p``, reduced over the hidden dim (Shrikumar et al. 2016).

    ``reduction="sum"`` (default) is the dot product, the first-order Taylor estimate of the
    token's contribution; ``"l2"`` is Inseq's default aggregation of the same raw values.
    """

    name = "input_x_gradient"
    summary = "embedding times gradient per token"
    multiplies_by_inputs = True

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__(reduction=reduction)

    def raw_steps(self, inputs: MethodInputs, objective: Objective) -> Iterator[RawStep]:
        batch = inputs.batch
        rows = all_rows(batch)
        embeds = objective.embed(batch)  # [B, P, H]
        for g in objective.gradients(batch, embeds):
            yield RawStep(rows, g.grad * embeds.float(), g.weight, g.step)
