"""What every attribution method shares: one signature, traits as class attributes (read from
the registered class, without building one)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch

from tokendistill.attribution.objective import Objective
from tokendistill.models.batch import EncodedBatch

REDUCTIONS: tuple[str, ...] = ("sum", "l2", "abs_sum")


@dataclass(frozen=True)
class MethodInputs:
    """One encoded batch plus what some methods need besides the tensors.

    ``content_mask`` [B, P] (bool) marks prompt tokens that overlap the example's content
    (never padding, special, template or prefix tokens); ``example_ids`` seed the random
    control so its scores do not depend on batching.
    """

    batch: EncodedBatch
    content_mask: torch.Tensor
    example_ids: Sequence[str]


@dataclass(frozen=True)
class RawStep:
    """Per-hidden-unit attributions of one target step (or the whole sequence).

    ``raw`` [b, P, H] is what Captum would return for ``rows`` (|grad|, grad·x, or the
    integrated gradient times (x - baseline)); ``weight`` [b] is its share of the final
    score (see ``GradientStep``); ``step`` is the target index or -1.
    """

    rows: torch.Tensor
    raw: torch.Tensor
    weight: torch.Tensor
    step: int


class AttributionMethod(ABC):
    """Scores every prompt token of a batch: ``attribute(inputs, objective) -> [B, P]``.

    Subclasses set ``name`` and ``summary`` (one line for ``tokendistill methods``), their
    traits, and take their options as keyword arguments of ``__init__``. The traits:

    * ``uses_gradients``: backpropagates through the model;
    * ``multiplies_by_inputs``: scores are gradients times (input - baseline), Captum's sense;
    * ``depends_on_aggregation``: ``sequence`` and ``per_step`` can give different scores;
    * ``is_control``: the scores carry no information about the model (a baseline such as
      random scores): reports compare it with the real methods but do not explain with it.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    uses_gradients: ClassVar[bool] = False
    multiplies_by_inputs: ClassVar[bool] = False
    depends_on_aggregation: ClassVar[bool] = False
    is_control: ClassVar[bool] = False

    @abstractmethod
    def attribute(self, inputs: MethodInputs, objective: Objective) -> torch.Tensor:
        """Scores [B, P] (float32, on the model's device); padding positions are 0."""

    def options(self) -> dict[str, object]:
        """The method's options (for artifact metadata)."""
        return {}


class GradientMethod(AttributionMethod):
    """A method whose per-token score is a reduction over the hidden dim of ``raw_steps``."""

    uses_gradients = True
    depends_on_aggregation = True

    def __init__(self, reduction: str) -> None:
        if reduction not in self.allowed_reductions():
            raise ValueError(
                f"{self.name}: reduction must be one of {list(self.allowed_reductions())}, got {reduction!r}"
            )
        self.reduction = reduction

    @classmethod
    def allowed_reductions(cls) -> tuple[str, ...]:
        return REDUCTIONS

    @abstractmethod
    def raw_steps(self, inputs: MethodInputs, objective: Objective) -> Iterator[RawStep]:
        """Raw attributions, one ``RawStep`` per (row group, target step)."""

    def attribute(self, inputs: MethodInputs, objective: Objective) -> torch.Tensor:
        batch = inputs.batch
        scores = torch.zeros(batch.prompt_ids.shape, dtype=torch.float32, device=batch.prompt_ids.device)
        for step in self.raw_steps(inputs, objective):
            # Weighted sum over steps = mean of per-step scores over real target tokens.
            reduced = reduce_hidden(step.raw, self.reduction)  # [b, P]
            scores.index_add_(0, step.rows, step.weight.unsqueeze(-1) * reduced)
        return scores * batch.prompt_mask.to(scores.dtype)

    def options(self) -> dict[str, object]:
        return {"reduction": self.reduction}


def reduce_hidden(raw: torch.Tensor, reduction: str) -> torch.Tensor:
    """[N, P, H] -> [N, P]: signed sum, L2 norm (Inseq's ``vnorm``), or sum of absolute values."""
    if reduction == "sum":
        return raw.sum(-1)
    if reduction == "l2":
        return torch.linalg.vector_norm(raw, ord=2, dim=-1)
    if reduction == "abs_sum":
        return raw.abs().sum(-1)
    raise ValueError(f"unknown reduction {reduction!r}; choose from {list(REDUCTIONS)}")


def all_rows(batch: EncodedBatch) -> torch.Tensor:
    """Row indices 0..B-1 on the batch's device: [B]."""
    return torch.arange(len(batch), device=batch.prompt_ids.device)
