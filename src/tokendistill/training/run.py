"""``train_model``: one training run, from rows to a selected model and its test predictions.

Output folder::

    checkpoints/checkpoint-<step>/   Trainer checkpoints (resume, best-model selection)
    model/                           the best-on-validation model + tokenizer (safetensors) and
                                     training_args.json (no pickle); with LoRA the merged model,
                                     and model/adapter/ the adapter alone
    test_predictions.jsonl           id, prediction, gold, correct, score per test example
    metrics.json                     validation history, best step, test metrics, config
    profile.json                     where the wall time went, padding share (``profile.py``)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback, TrainingArguments
from transformers.trainer_callback import PrinterCallback

from tokendistill.evaluation.predict import EvalResult, Scorer
from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.runtime.files import atomic_write_json, write_jsonl
from tokendistill.tasks.example import Example
from tokendistill.tracking import TrainerTracking
from tokendistill.training import checkpoints
from tokendistill.training.arguments import training_arguments
from tokendistill.training.config import TrainingConfig
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.layouts import check_head_chunk, check_padding_free
from tokendistill.training.modes import StudentMode, get_mode, label_prompts
from tokendistill.training.profile import PROFILE, ProfiledCollator, TrainingProfile
from tokendistill.training.rows import TASK_NAMES, TrainingRow
from tokendistill.training.saving import save_model_atomic
from tokendistill.training.terms import LossTerm
from tokendistill.training.trainer import DistillTrainer
from tokendistill.training.unused import search_unused

CHECKPOINTS = "checkpoints"
MODEL_DIR = "model"
TEST_PREDICTIONS = "test_predictions.jsonl"
METRICS = "metrics.json"


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
    profile_path: Path


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
    find_unused = _probe(adapter, rows_train, terms, config)
    args = training_arguments(config, output_dir / CHECKPOINTS, seed, adapter.settings, tracking, find_unused)
    callbacks = [*callbacks, *(tracking.callbacks if tracking else [])]
    valid = (valid_examples, label_prompts(valid_examples, mode, hints))
    trainer = _trainer(adapter, args, rows_train, valid, scorer, config, callbacks, terms)
    if quiet:
        trainer.remove_callback(PrinterCallback)
    trainer.train(resume_from_checkpoint=checkpoints.resume_point(resume_from_checkpoint, args.output_dir))
    # load_best_model_at_end has put the best validation checkpoint into adapter.model.
    with trainer.profile.timed("test_predict"):
        test = trainer.predict_examples(test_examples, label_prompts(test_examples, mode, hints))
    recorded = {**config.model_dump(), "mode": mode.name, "seed": seed, **(record or {})}
    return _write_outputs(trainer, adapter, test, recorded, output_dir)


def _probe(
    adapter: ModelAdapter, rows: Sequence[TrainingRow], terms: Sequence[LossTerm], config: TrainingConfig
) -> bool | None:
    """Before the Trainer exists, on the run's first rows: check that padding-free batches and a
    chunked head hold (when asked for), and whether data parallelism must search for unused parameters."""
    if config.padding_free:
        check_padding_free(adapter, rows, config.batch_size)
    if config.head_chunk:
        check_head_chunk(adapter, rows, config.batch_size)
    return search_unused(adapter, rows, terms, config.batch_size)


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
    profile = TrainingProfile()
    return DistillTrainer(
        model=adapter.model,
        args=args,
        train_dataset=ExampleRowsDataset(rows),
        data_collator=ProfiledCollator(RowCollator(adapter, terms, by_task=True), profile),
        processing_class=adapter.tokenizer,
        callbacks=list(callbacks),
        adapter=adapter,
        valid_examples=valid_examples,
        valid_prompts=valid_prompts,
        scorer=scorer,
        eval_mode=config.eval_mode,
        max_new_tokens=config.max_new_tokens,
        terms=terms,
        profile=profile,
        padding_free=config.padding_free,
        head_chunk=config.head_chunk,
    )


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
    trainer: DistillTrainer,
    adapter: ModelAdapter,
    test: EvalResult,
    run_record: dict,
    out: Path,
) -> TrainResult:
    state = trainer.state
    history = [
        {"step": log["step"], "accuracy": log["eval_accuracy"]}
        for log in state.log_history
        if "eval_accuracy" in log
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
        profile_path=out / PROFILE,
    )
    profile = trainer.profile
    with profile.timed("save_model"):
        save_model_atomic(trainer, adapter, result.model_dir)
    profile.finish(state.global_step)
    if trainer.is_world_process_zero():
        atomic_write_json(result.profile_path, profile.to_json(), sort_keys=False)
        write_jsonl(result.predictions_path, (p.to_record() for p in test.predictions))
        metrics = _metrics_record(result, state.log_history, run_record)
        atomic_write_json(result.metrics_path, metrics, sort_keys=False, allow_nan=True)
    trainer.accelerator.wait_for_everyone()
    return result


def _metrics_record(result: TrainResult, log_history: list[dict], run_record: dict) -> dict:
    """metrics.json: validation history and best step, test metrics, losses, the config."""
    losses = [
        {"step": log["step"], **{k: v for k, v in log.items() if k == "loss" or k.startswith("loss_")}}
        for log in log_history
        if "loss" in log
    ]
    return {
        "valid": {
            "best_accuracy": result.best_valid_accuracy,
            "best_step": result.best_step,
            "history": result.valid_history,
        },
        "test": result.test_metrics,
        "loss_history": losses,
        "global_step": result.global_step,
        "best_checkpoint": result.best_checkpoint,
        "config": run_record,
    }


def _required(tokenizer: PreTrainedTokenizerBase | None) -> PreTrainedTokenizerBase:
    if tokenizer is None:
        raise ValueError("a tokenizer is needed when a bare model (not a ModelAdapter) is given")
    return tokenizer
