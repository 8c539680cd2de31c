"""A ``DistillTrainer`` on the toy task (``toy`` fixture) and one training step's loss and
gradients through it: what the training tests compare across batch layouts (packed, a batch
per task, padding-free)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.training import TrainingConfig
from tokendistill.training.arguments import training_arguments
from tokendistill.training.terms import LossTerm
from tokendistill.training.trainer import DistillTrainer
from tolerances import BATCHING, assert_close


def toy_trainer(
    toy,
    adapter: ModelAdapter,
    out: Path,
    *,
    terms: Sequence[LossTerm] = (),
    config: TrainingConfig | None = None,
) -> DistillTrainer:
    """The trainer of ``adapter`` with two toy validation examples (never evaluated here)."""
    config = config or TrainingConfig()
    return DistillTrainer(
        model=adapter.model,
        args=training_arguments(config, out),
        adapter=adapter,
        valid_examples=toy.VALID[:2],
        valid_prompts=["p", "q"],
        scorer=toy.ExactMatch(),
        terms=terms,
        padding_free=config.padding_free,
        head_chunk=config.head_chunk,
    )


def step_loss_and_gradients(
    trainer: DistillTrainer, batch: dict
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """The loss of ``batch`` as one optimizer step (its own token counts), and its gradients
    with respect to the trainable parameters (the model in training mode)."""
    model = trainer.adapter.model.train()
    _, counts = trainer.get_batch_samples(iter([batch]), 1, trainer.args.device)
    loss = trainer.compute_loss(model, batch, num_items_in_batch=counts)
    return loss, torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad])


def assert_same_step(got: tuple, want: tuple) -> None:
    """Two ``step_loss_and_gradients`` results agree to batching tolerance: the loss, and the
    gradient as one vector (a parameter whose gradient is zero in exact arithmetic, such as an
    attention key's bias, carries rounding alone, which is no relative figure of its own)."""
    assert_close(got[0], want[0], BATCHING, "loss")
    assert len(got[1]) == len(want[1])
    flat = [torch.cat([g.flatten() for g in grads]) for grads in (got[1], want[1])]
    assert_close(flat[0], flat[1], BATCHING, "gradient")
