"""The Trainer's arguments of one training run, from its ``TrainingConfig``, the model's
settings (precision, gradient checkpointing), its trackers and its processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import TrainingArguments

from tokendistill.distributed import default_state
from tokendistill.errors import InputError
from tokendistill.models.config import AdapterSettings
from tokendistill.tracking import TrainerTracking
from tokendistill.training.config import TrainingConfig


class TrainingSetupError(InputError):
    """A training setting that does not fit how the run was launched."""


def training_arguments(
    config: TrainingConfig,
    checkpoint_dir: Path,
    seed: int = 0,
    model: AdapterSettings | None = None,
    tracking: TrainerTracking | None = None,
    find_unused: bool | None = None,
) -> TrainingArguments:
    """The Trainer's arguments: evaluate every ``eval_steps`` and save there (only where
    validation improves, with ``checkpoints: improved``), keep the best on validation
    accuracy, report to ``tracking``'s trackers (none by default), and leave device
    placement to Accelerate. ``model``'s settings pick the mixed precision (autocast over
    float32 master weights) and gradient checkpointing; ``find_unused``: whether data
    parallelism searches for parameters without a gradient (None: the Trainer's choice)."""
    model = model or AdapterSettings()
    return TrainingArguments(
        bf16=model.precision == "bf16",
        fp16=model.precision == "fp16",
        **_checkpointing(model),
        output_dir=str(checkpoint_dir),
        **_optimisation(config),
        per_device_train_batch_size=per_process_batch(config.batch_size),
        per_device_eval_batch_size=config.eval_batch_size,
        train_sampling_strategy="group_by_length" if config.group_by_length else "random",
        gradient_accumulation_steps=config.grad_accumulation,
        eval_strategy="steps",
        eval_steps=config.eval_steps,
        save_strategy="best" if config.checkpoints == "improved" else "steps",
        save_steps=config.eval_steps,
        save_total_limit=config.save_total_limit,
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        greater_is_better=True,
        logging_steps=config.logging_steps,
        report_to=tracking.report_to if tracking else [],
        run_name=tracking.run_name if tracking else None,
        seed=seed,
        # Items are tuples of TrainingRow, not model columns; the collator builds the tensors.
        remove_unused_columns=False,
        # Pinned memory only helps copies to an accelerator; on CPU it just warns.
        dataloader_pin_memory=torch.accelerator.is_available(),
        # Without an accelerator the Trainer must be told it runs on the CPU, or it refuses bf16.
        use_cpu=not torch.accelerator.is_available(),
        disable_tqdm=True,
        ddp_find_unused_parameters=find_unused,
    )


def _optimisation(config: TrainingConfig) -> dict[str, Any]:
    """How long and how the optimizer trains: steps, learning rate and its schedule, decay, clipping."""
    return {
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps or -1,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": config.lr_scheduler,
        "warmup_steps": config.warmup,
        "weight_decay": config.weight_decay,
        "max_grad_norm": config.max_grad_norm,
    }


def _checkpointing(model: AdapterSettings) -> dict[str, Any]:
    """Gradient checkpointing's arguments, named only when on (transformers 5 keeps
    `gradient_checkpointing` as a deprecated alias); non-reentrant: it needs no input that
    requires grad, so it works with frozen embeddings."""
    if not model.gradient_checkpointing:
        return {}
    return {"gradient_checkpointing": True, "gradient_checkpointing_kwargs": {"use_reentrant": False}}


def per_process_batch(batch_size: int) -> int:
    """Each process's share of the ``batch_size`` examples of a micro-batch."""
    processes = default_state().num_processes
    if batch_size % processes:
        raise TrainingSetupError(
            f"training batch_size {batch_size} does not divide among {processes} processes: "
            f"use a multiple of {processes}"
        )
    return batch_size // processes
