"""Loss terms: what a student mode's training minimises, one term at a time.

A mode (``training/modes``) returns its terms (``StudentMode.loss_terms``); the collator asks
each term for the tensors it needs next to the batch (``collate``) and the trainer sums the
terms of every micro-batch (``__call__``), logging each named term as ``loss_<name>``. The
trainer knows no term by name: the Distilling Step-by-Step cross-entropy, its label-only
warm-up and a soft-label divergence are terms like any a user registers.

Every term is normalised like the packed cross-entropy (``losses.py``): by its task's target
tokens over the whole optimizer step (``StepBatch.task_tokens``), so terms add up the same
whatever the split into micro-batches and processes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from tokendistill.training.losses import packed_task_loss
from tokendistill.training.rows import TASK_LABEL, TrainingRow

if TYPE_CHECKING:
    from tokendistill.models.adapter import ModelAdapter
    from tokendistill.models.batch import EncodedBatch
    from tokendistill.training.chunked import PositionLoss, TargetOutputs


@dataclass(frozen=True)
class StepBatch:
    """What a term sees of one micro-batch.

    ``inputs``: the collated batch (``target_mask`` [B, T], ``row_weight`` and ``row_task``
    [B], and what the terms' ``collate`` added); ``outputs``: the student's outputs at the
    target positions (read through ``per_position``, or whole as ``logits``); ``logprobs``
    [B, T] of the target tokens; ``task_tokens`` [K] each task's target tokens over the
    optimizer step; ``step`` the optimizer steps done so far; ``training`` False when the loss
    is computed for evaluation.
    """

    adapter: ModelAdapter
    inputs: Mapping[str, torch.Tensor]
    outputs: TargetOutputs
    logprobs: torch.Tensor
    task_tokens: torch.Tensor
    step: int
    training: bool

    @property
    def logits(self) -> torch.Tensor:
        """[B, T, V] at the target positions, whole (under ``head_chunk`` this builds what
        chunking avoids: a term that only needs per-position values uses ``per_position``)."""
        return self.outputs.logits

    def per_position(self, loss: PositionLoss, *per_position: torch.Tensor) -> torch.Tensor:
        """``loss(logits, *per_position)`` per target position [B, T, ...], chunked under
        ``head_chunk`` (0 at padded positions then)."""
        return self.outputs.per_position(loss, *per_position)


class LossTerm(ABC):
    """One additive term of a student's loss. ``name``: logged as ``loss_<name>``, the term's
    value per optimizer step (None: not logged on its own, as the cross-entropy, whose tasks
    are logged as ``loss_label`` and ``loss_rationale``)."""

    name: str | None = None

    def collate(  # noqa: B027 (most terms need nothing beyond the rows' batch)
        self,
        rows: Sequence[TrainingRow],
        out: dict[str, torch.Tensor],
        adapter: ModelAdapter,
        encoded: EncodedBatch,
    ) -> None:
        """Add what the term needs to the collated batch ``out`` (in place); ``encoded`` is
        the rows' batch as the adapter encoded it (with the prompt tokens' character offsets)."""

    @abstractmethod
    def __call__(self, batch: StepBatch) -> torch.Tensor:
        """The term's (weighted, normalised) scalar value on ``batch``."""

    def applies(self, inputs: Mapping[str, torch.Tensor], step: int, training: bool) -> bool:
        """Whether the term can be non-zero on the padded batch ``inputs`` at ``step``: a
        batch no term applies to is not computed (the rationale rows during a label-only
        warm-up). The default, True, is always safe."""
        return True


@dataclass(frozen=True)
class TaskWeights:
    """The weight of every row at a step: its own (``alpha`` / ``1 - alpha`` from the rows),
    except during the first ``label_warmup_steps`` optimizer steps of training, when the
    label task trains alone (weight 1, other rows 0). One owner for a mode's weighting: its
    cross-entropy and any other term it weighs per row read the same weights."""

    label_warmup_steps: int = 0

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        return self.at(batch.inputs, batch.step, batch.training)

    def at(self, inputs: Mapping[str, torch.Tensor], step: int, training: bool) -> torch.Tensor:
        """The rows' weights [B] in ``inputs`` at ``step``."""
        weights, tasks = inputs["row_weight"], inputs["row_task"]
        if training and step < self.label_warmup_steps:
            return (tasks == TASK_LABEL).to(weights.dtype)
        return weights


def or_cross_entropy(terms: Sequence[LossTerm]) -> list[LossTerm]:
    """``terms``, or the rows' cross-entropy alone when there are none (what training minimises
    by default)."""
    return list(terms) or [TaskCrossEntropy()]


class TaskCrossEntropy(LossTerm):
    """The packed cross-entropy of every row (DSS's ``alpha·label + (1−alpha)·rationale``),
    with ``label_share`` of each label row's weight (the rest goes to a soft-label term)."""

    def __init__(self, weights: TaskWeights | None = None, label_share: float = 1.0) -> None:
        self.weights = weights or TaskWeights()
        self.label_share = label_share

    def applies(self, inputs: Mapping[str, torch.Tensor], step: int, training: bool) -> bool:
        return bool((self.weights.at(inputs, step, training) > 0).any())

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        inputs = batch.inputs
        weights = self.weights(batch)
        if self.label_share != 1.0:
            weights = torch.where(inputs["row_task"] == TASK_LABEL, weights * self.label_share, weights)
        return packed_task_loss(
            batch.logprobs, inputs["target_mask"], weights, inputs["row_task"], batch.task_tokens
        )
