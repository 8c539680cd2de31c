"""Which trainable parameters a training step leaves without a gradient.

Data parallelism must be told whether to search every step's autograd graph for parameters
that got no gradient (``find_unused_parameters``): searching when none exist costs an extra
traversal per step and a warning on every process; not searching when some exist fails. One
probe step on the first rows, before the Trainer seeds and builds anything, decides; every
process probes the same rows, so all decide alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch

from tokendistill.distributed import default_state
from tokendistill.models.adapter import ModelAdapter
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.losses import task_token_counts
from tokendistill.training.rows import TASK_NAMES, TrainingRow
from tokendistill.training.step import step_loss
from tokendistill.training.terms import LossTerm, or_cross_entropy

logger = logging.getLogger(__name__)


def unused_parameters(
    adapter: ModelAdapter, rows: Sequence[TrainingRow], terms: Sequence[LossTerm], batch_size: int
) -> list[str]:
    """The names of the trainable parameters that one training step over the first
    ``batch_size`` examples of ``rows`` (with the mode's loss ``terms``) leaves without a
    gradient. The model's gradients are None again afterwards."""
    items = ExampleRowsDataset(rows)
    batch = RowCollator(adapter, terms)([items[i] for i in range(min(batch_size, len(items)))])
    inputs = {key: value.to(adapter.device) for key, value in batch.items()}
    tokens = task_token_counts(inputs["target_mask"], inputs["row_task"], len(TASK_NAMES))
    trainable = [(name, p) for name, p in adapter.model.named_parameters() if p.requires_grad]
    try:
        with torch.enable_grad():
            step_loss(adapter, terms, inputs, tokens, 0, True).loss.backward()
        return [name for name, p in trainable if p.grad is None]
    finally:
        for _, p in trainable:
            p.grad = None


def search_unused(
    adapter: ModelAdapter, rows: Sequence[TrainingRow], terms: Sequence[LossTerm], batch_size: int
) -> bool | None:
    """Whether data parallelism must search for unused parameters: None on one process, and
    with gradient checkpointing, where the Trainer never searches; else the probe's answer."""
    state = default_state()
    if state.num_processes == 1 or adapter.settings.gradient_checkpointing:
        return None
    if getattr(adapter.model, "hf_quantizer", None) is None:  # bitsandbytes placed quantized weights
        # Where the Trainer would put it anyway: a big model's probe step runs on its accelerator.
        adapter.model.to(state.device)
    unused = unused_parameters(adapter, rows, or_cross_entropy(terms), batch_size)
    if unused:
        logger.info("parameters without a gradient (data parallelism searches for them): %s", unused)
    return bool(unused)
