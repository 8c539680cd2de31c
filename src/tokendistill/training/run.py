"""``train_model``: one training run, from rows to a selected model and its test predictions.

Output folder::

    checkpoints/checkpoint-<step>/   Trainer checkpoints (resume, best-model selection)
    model/                           the best-on-validation model + tokenizer (safetensors) and
                                     training_args.json (no pickle); with LoRA the merged model,
                                     and model/adapter/ the adapter alone
    test_predictions.jsonl           id, prediction, gold, correct, score per test example
    metrics.json                     validation history, best step, test metrics, config
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback, TrainingArguments
from transformers.trainer_callback import PrinterCallback

from tokendistill.distributed import default_state
from tokendistill.errors import InputError
from tokendistill.evaluation.predict import EvalResult, Scorer
from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.config import AdapterSettings
from tokendistill.runtime.files import atomic_write_json, write_jsonl
from tokendistill.tasks.example import Example
from tokendistill.tracking import TrainerTracking
from tokendistill.training import checkpoints
from tokendistill.training.config import TrainingConfig
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.modes import StudentMode, get_mode, label_prompts
from tokendistill.training.rows import TASK_NAMES, TrainingRow
from tokendistill.training.saving import save_model_atomic
from tokendistill.training.terms import LossTerm, TaskCrossEntropy
from tokendistill.training.trainer import DistillTrainer
from tokendistill.training.unused import unused_parameters

CHECKPOINTS = "checkpoints"
MODEL_DIR = "model"
TEST_PREDICTIONS = "test_predictions.jsonl"
METRICS = "metrics.json"
logger = logging.getLogger(__name__)


class TrainingSetupError(InputError):
    """A training setting that does not fit how the run was launched."""


@dataclass(frozen=True)
class TrainResult:
    output_dir: Path
    model_dir: Path
    best_checkpoint: str | None
    best_step: int | None
    best_valid_accuracy: float | None
    valid_history: list[dict[str, float]]
    test_metrics: dict[str, float]
    global_step: int
    predictions_path: Path
    metrics_path: Path


def train_model(
    model: PreTrainedModel | ModelAdapter,
    tokenizer: PreTrainedTokenizerBase | None,
    rows_train: Sequence[TrainingRow],
    valid_examples: Sequence[Example],
    test_examples: Sequence[Example],
    scorer: Scorer,
    config: TrainingConfig,
    output_dir: str | Path,
    *,
    mode: str | StudentMode = "standard",
    seed: int = 0,
    terms: Sequence[LossTerm] = (),
    hints: Mapping[str, str] | None = None,
    resume_from_checkpoint: bool | str | None = None,
    callbacks: Sequence[TrainerCallback] = (),
    quiet: bool = False,
    record: Mapping[str, Any] | None = None,
    tracking: TrainerTracking | None = None,
) -> TrainResult:
    """Train on ``rows_train`` (built for ``mode``), keep the checkpoint with the best validation
    accuracy, then predict the test examples once with it. ``seed`` seeds the Trainer;
    ``terms`` are what training minimises (the mode's loss terms; default: the rows'
    cross-entropy); ``hints`` (id -> rationale) feed
    the valid/test inputs of a mode that reads one at inference; ``resume_from_checkpoint``
    is a checkpoint folder, or True for the latest in ``output_dir`` (none: a fresh start);
    ``quiet`` drops the Trainer's printed logs; ``record`` adds settings to the config that
    metrics.json records (a mode's options); ``tracking``: the run's trackers (none by
    default). The adapter's model settings choose mixed precision
    and gradient checkpointing; a model with LoRA adapters (``load_adapter`` with
    ``train=True``) trains and checkpoints only them, and afterwards ``adapter.model`` is the
    merged model that was saved. Call on every process under ``accelerate launch``.
    """
    adapter = model if isinstance(model, ModelAdapter) else make_adapter(model, _required(tokenizer))
    mode = get_mode(mode)
    check_rows(rows_train, mode)
    output_dir = Path(output_dir)
    find_unused = _find_unused(adapter, rows_train, terms, config)
    args = training_arguments(config, output_dir / CHECKPOINTS, seed, adapter.settings, tracking, find_unused)
    callbacks = [*callbacks, *(tracking.callbacks if tracking else [])]
    valid = (valid_examples, label_prompts(valid_examples, mode, hints))
    trainer = _trainer(adapter, args, rows_train, valid, scorer, config, callbacks, terms)
    if quiet:
        trainer.remove_callback(PrinterCallback)
    trainer.train(resume_from_checkpoint=checkpoints.resume_point(resume_from_checkpoint, args.output_dir))
    # load_best_model_at_end has put the best validation checkpoint into adapter.model.
    test = trainer.predict_examples(test_examples, label_prompts(test_examples, mode, hints))
    recorded = {**config.model_dump(), "mode": mode.name, "seed": seed, **(record or {})}
    return _write_outputs(trainer, adapter, test, recorded, output_dir)


def _find_unused(
    adapter: ModelAdapter, rows: Sequence[TrainingRow], terms: Sequence[LossTerm], config: TrainingConfig
) -> bool | None:
    """Whether data parallelism must search for unused parameters (``unused.py``); None on
    one process, and with gradient checkpointing, where the Trainer never searches."""
    if default_state().num_processes == 1 or adapter.settings.gradient_checkpointing:
        return None
    unused = unused_parameters(adapter, rows, list(terms) or [TaskCrossEntropy()], config.batch_size)
    if unused:
        logger.info("parameters without a gradient (data parallelism searches for them): %s", unused)
    return bool(unused)


def _trainer(
    adapter: ModelAdapter,
    args: TrainingArguments,
    rows: Sequence[TrainingRow],
    valid: tuple[Sequence[Example], Sequence[str]],
    scorer: Scorer,
    config: TrainingConfig,
    callbacks: Sequence[TrainerCallback],
    terms: Sequence[LossTerm] = (),
) -> DistillTrainer:
    """The Trainer of one run; ``valid`` holds the validation examples and their prompts."""
    valid_examples, valid_prompts = valid
    return DistillTrainer(
        model=adapter.model,
        args=args,
        train_dataset=ExampleRowsDataset(rows),
        data_collator=RowCollator(adapter, terms),
        processing_class=adapter.tokenizer,
        callbacks=list(callbacks),
        adapter=adapter,
        valid_examples=valid_examples,
        valid_prompts=valid_prompts,
        scorer=scorer,
        eval_mode=config.eval_mode,
        max_new_tokens=config.max_new_tokens,
        terms=terms,
    )


def training_arguments(
    config: TrainingConfig,
    checkpoint_dir: Path,
    seed: int = 0,
    model: AdapterSettings | None = None,
    tracking: TrainerTracking | None = None,
    find_unused: bool | None = None,
) -> TrainingArguments:
    """The Trainer's arguments: evaluate and save every ``eval_steps``, keep the best on
    validation accuracy, report to ``tracking``'s trackers (none by default), and leave device
    placement to Accelerate. ``model``'s settings pick the mixed precision (autocast over
    float32 master weights) and gradient checkpointing; ``find_unused``: whether data
    parallelism searches for parameters without a gradient (None: the Trainer's choice)."""
    model = model or AdapterSettings()
    return TrainingArguments(
        bf16=model.precision == "bf16",
        fp16=model.precision == "fp16",
        **_checkpointing(model),
        output_dir=str(checkpoint_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        per_device_train_batch_size=per_process_batch(config.batch_size),
        per_device_eval_batch_size=config.eval_batch_size,
        gradient_accumulation_steps=config.grad_accumulation,
        eval_strategy="steps",
        eval_steps=config.eval_steps,
        save_strategy="steps",
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


def check_rows(rows: Sequence[TrainingRow], mode: StudentMode) -> None:
    """Refuse rows built for another mode (a silent mismatch would train one objective and
    evaluate with the prompts of another)."""
    if not rows:
        raise ValueError("no training rows")
    tasks = {row.task for row in rows}
    if not mode.row_tasks <= tasks <= mode.row_tasks | mode.optional_tasks:
        names = sorted(TASK_NAMES[t] for t in tasks)
        expected = sorted(TASK_NAMES[t] for t in mode.row_tasks)
        raise ValueError(
            f"mode {mode.name!r} trains the task(s) {expected}, but the rows hold {names}; "
            "build them with build_rows for this mode"
        )


def _write_outputs(
    trainer: DistillTrainer, adapter: ModelAdapter, test: EvalResult, run_record: dict, out: Path
) -> TrainResult:
    state = trainer.state
    history = [
        {"step": log["step"], "accuracy": log["eval_accuracy"]}
        for log in state.log_history
        if "eval_accuracy" in log
    ]
    losses = [
        {"step": log["step"], **{k: v for k, v in log.items() if k == "loss" or k.startswith("loss_")}}
        for log in state.log_history
        if "loss" in log
    ]
    result = TrainResult(
        output_dir=out,
        model_dir=out / MODEL_DIR,
        best_checkpoint=state.best_model_checkpoint,
        best_step=state.best_global_step,
        best_valid_accuracy=state.best_metric,
        valid_history=history,
        test_metrics=test.metrics,
        global_step=state.global_step,
        predictions_path=out / TEST_PREDICTIONS,
        metrics_path=out / METRICS,
    )
    save_model_atomic(trainer, adapter, result.model_dir)
    if trainer.is_world_process_zero():
        write_jsonl(result.predictions_path, (p.to_record() for p in test.predictions))
        metrics = {
            "valid": {
                "best_accuracy": result.best_valid_accuracy,
                "best_step": result.best_step,
                "history": history,
            },
            "test": result.test_metrics,
            "loss_history": losses,
            "global_step": result.global_step,
            "best_checkpoint": result.best_checkpoint,
            "config": run_record,
        }
        atomic_write_json(result.metrics_path, metrics, sort_keys=False, allow_nan=True)
    trainer.accelerator.wait_for_everyone()
    return result


def _required(tokenizer: PreTrainedTokenizerBase | None) -> PreTrainedTokenizerBase:
    if tokenizer is None:
        raise ValueError("a tokenizer is needed when a bare model (not a ModelAdapter) is given")
    return tokenizer
