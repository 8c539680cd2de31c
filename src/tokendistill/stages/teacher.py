"""Stage 2: the teacher, fine-tuned on gold labels (or taken as it is), and its answers.

A teacher this run saved (fine-tuned, or a tiny one built here) is kept in ``model/`` as a
plain Hugging Face folder with ``tokendistill.json`` and a model card.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tokendistill.config import TeacherConfig
from tokendistill.distributed import inference_device
from tokendistill.evaluation.predict import evaluate_examples
from tokendistill.kept.card import write_kept_model
from tokendistill.kept.manifest import (
    Evaluation,
    Method,
    ModelManifest,
    accuracy_of,
    adapter_settings,
    task_facts,
)
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.runtime.context import Artifact, RunContext
from tokendistill.runtime.files import atomic_write_json, read_jsonl, write_jsonl
from tokendistill.tasks import Example, Task, TaskConfig, TaskData
from tokendistill.training import TrainingConfig, TrainResult
from tokendistill.training.corpus import corpus
from tokendistill.training.fit import fit
from tokendistill.training.modes import build_rows, label_prompts
from tokendistill.training.profile import PROFILE


@dataclass
class TeacherOutputs:
    artifact: Artifact
    folder: Path | None  # the model this run saved; None when the user's spec is used as is
    metrics: dict
    train_answers: dict[str, str]


def run_teacher(
    ctx: RunContext,
    teacher: TeacherConfig,
    task: Task,
    data: TaskData,
    upstream: Artifact,
    task_config: TaskConfig,
) -> TeacherOutputs:
    """Fine-tune (or evaluate) the teacher and record its answers on the training split;
    ``task_config`` is written into the kept model's manifest. Every process trains and
    predicts (sharded, gathered); the main one writes."""
    determinants = {"teacher": teacher.model_dump(mode="json"), "prepare": upstream.key}
    artifact = ctx.artifact("teacher", _slug(teacher.model.name), determinants, upstream=[upstream])

    def produce(out: Path, work: Path) -> dict:
        own = data.for_teacher()
        adapter = _teacher_adapter(teacher, data)
        training = teacher.training
        saved = teacher.finetune or teacher.model.kind == "tiny"
        if teacher.finetune:
            rows = build_rows(own.train, "standard")
            result = fit(ctx, adapter, rows, task, own, training, work, mode="standard", seed=teacher.seed,
                         track_as="teacher")  # fmt: skip
            metrics = json.loads(result.metrics_path.read_text())
            if ctx.is_main:
                _keep_training_outputs(result, out)
        else:
            metrics = {
                "valid": {"best_accuracy": _accuracy(adapter, task, own.valid, training)},
                "test": {"accuracy": _accuracy(adapter, task, data.test, training)},
            }
            if saved and ctx.is_main:  # a tiny model exists only in memory
                adapter.model.save_pretrained(out / "model")
                adapter.tokenizer.save_pretrained(out / "model")
        answers = _answers(adapter, task, data.train, training)
        if ctx.is_main:
            if saved:
                write_kept_model(
                    out / "model", _manifest(teacher, adapter.architecture, own, metrics, task_config)
                )
            write_jsonl(out / "train_answers.jsonl", ({"id": k, "answer": v} for k, v in answers.items()))
            atomic_write_json(out / "teacher.json", {"saved": saved, "metrics": metrics})
        return {"valid": metrics["valid"]["best_accuracy"], "test": metrics["test"]["accuracy"]}

    ctx.build(artifact, produce, collective=True)
    info = json.loads((artifact.path / "teacher.json").read_text())
    folder = artifact.path / "model" if info["saved"] else None
    answers = {row["id"]: row["answer"] for row in read_jsonl(artifact.path / "train_answers.jsonl")}
    return TeacherOutputs(artifact, folder, info["metrics"], answers)


def _keep_training_outputs(result: TrainResult, out: Path) -> None:
    """The fine-tuned model, its test predictions and its training profile, into the artifact."""
    shutil.move(result.model_dir, out / "model")
    shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
    shutil.copy(result.profile_path, out / PROFILE)


def _teacher_adapter(teacher: TeacherConfig, data: TaskData) -> ModelAdapter:
    """The teacher to fine-tune (float32 master weights, LoRA when configured), or to use as
    it is (inference only, placed on this process's accelerator)."""
    device = None if teacher.finetune else inference_device()
    return load_adapter(
        teacher.model, corpus=corpus(data), seed=teacher.seed, device=device, train=teacher.finetune
    )


def load_teacher(outputs: TeacherOutputs, teacher: TeacherConfig) -> ModelAdapter:
    """The teacher as the stage left it, on this process's inference device."""
    return load_adapter(teacher.model, folder=outputs.folder, device=inference_device())


def _predict(adapter: ModelAdapter, task: Task, examples: list[Example], training: TrainingConfig):
    return evaluate_examples(
        adapter,
        examples,
        label_prompts(examples, "standard"),
        task,
        mode=training.eval_mode,
        batch_size=training.eval_batch_size,
        max_new_tokens=training.max_new_tokens,
    )


def _answers(
    adapter: ModelAdapter, task: Task, train: list[Example], training: TrainingConfig
) -> dict[str, str]:
    """The teacher's answers on the training split (targets for distillation and attribution)."""
    return {p.id: p.prediction for p in _predict(adapter, task, train, training).predictions}


def _accuracy(adapter: ModelAdapter, task: Task, examples: list[Example], training: TrainingConfig) -> float:
    return _predict(adapter, task, examples, training).metrics["accuracy"]


def _manifest(
    teacher: TeacherConfig, architecture: str, data: TaskData, metrics: dict, task_config: TaskConfig
) -> ModelManifest:
    config = {"teacher": teacher.model_dump(mode="json"), "task": task_config.model_dump(mode="json")}
    return ModelManifest(
        role="teacher",
        name="teacher",
        seed=teacher.seed,
        base_model=teacher.model.name,
        architecture=architecture,
        mode="standard",
        adapter=adapter_settings(teacher.model),
        evaluation=Evaluation.of(teacher.training),
        task=task_config,
        **task_facts(data),
        method=Method(),
        teacher=None,
        accuracy=accuracy_of({**metrics, "test": {**metrics["test"], "n": len(data.test)}}),
        config=config,
    )


def _slug(name: str) -> str:
    """A model spec as a folder name (the run context refuses a leading dot)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:].lstrip(".") or "model"
