"""Stage 2: the teacher, fine-tuned on gold labels (or taken as it is), and its answers."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tokendistill.artifacts import atomic_write_json
from tokendistill.config import Config
from tokendistill.evaluation.io import read_jsonl, write_jsonl
from tokendistill.evaluation.predict import evaluate_examples
from tokendistill.models.adapter import ModelAdapter
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.fit import fit
from tokendistill.stages.models import TINY, adapter_for, build_model, inference_device, load_saved
from tokendistill.tasks import Task, TaskData
from tokendistill.training.rows import build_rows, label_prompts


@dataclass
class TeacherOutputs:
    artifact: Artifact
    model_ref: str  # a folder this run saved, or the user's spec when the teacher is used as is
    metrics: dict
    train_answers: dict[str, str]


def corpus(data: TaskData) -> list[str]:
    """Text a tiny model's tokenizer is trained on: inputs and labels of the training split."""
    return [t for ex in data.train for t in (ex.text, ex.label)]


def run_teacher(
    ctx: RunContext, config: Config, task: Task, data: TaskData, upstream: Artifact
) -> TeacherOutputs:
    teacher = config.teacher
    determinants = {
        "teacher": teacher.model_dump(mode="json"),
        "prepare": upstream.key,
        "seed": config.seeds[0],
    }
    artifact = ctx.artifact("teacher", _slug(teacher.model.name), determinants)

    def produce(out: Path, work: Path) -> dict:
        model, tokenizer = build_model(teacher.model, corpus(data), seed=config.seeds[0])
        adapter = adapter_for(model, tokenizer, teacher.model)
        training = teacher.training.model_copy(update={"mode": "standard", "seed": config.seeds[0]})
        if teacher.finetune:
            rows = build_rows(data.train, "standard")
            result = fit(ctx, adapter, rows, task, data, training, work)
            shutil.copytree(result.model_dir, out / "model")
            metrics = json.loads(result.metrics_path.read_text())
            shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
            model_ref = "model"
        else:
            adapter.model.to(inference_device())
            metrics = _evaluate_as_is(adapter, task, data, training)
            model_ref = _save_or_reference(adapter, teacher.model.name, out)
        answers = _answers(adapter, task, data, training)
        write_jsonl(out / "train_answers.jsonl", ({"id": k, "answer": v} for k, v in answers.items()))
        atomic_write_json(out / "teacher.json", {"model_ref": model_ref, "metrics": metrics})
        return {"valid": metrics["valid"]["best_accuracy"], "test": metrics["test"]["accuracy"]}

    ctx.build(artifact, produce)
    info = json.loads((artifact.path / "teacher.json").read_text())
    ref = info["model_ref"]
    model_ref = str(artifact.path / ref) if ref == "model" else ref
    answers = {row["id"]: row["answer"] for row in read_jsonl(artifact.path / "train_answers.jsonl")}
    return TeacherOutputs(artifact, model_ref, info["metrics"], answers)


def load_teacher(outputs: TeacherOutputs, config: Config) -> ModelAdapter:
    return load_saved(outputs.model_ref, config.teacher.model)


def _answers(adapter: ModelAdapter, task: Task, data: TaskData, training) -> dict[str, str]:
    """The teacher's answers on the training split (targets for distillation and attribution)."""
    result = evaluate_examples(
        adapter,
        data.train,
        label_prompts(data.train, "standard"),
        task,
        mode=training.eval_mode,
        batch_size=training.eval_batch_size,
        max_new_tokens=training.max_new_tokens,
    )
    return {p.id: p.prediction for p in result.predictions}


def _evaluate_as_is(adapter: ModelAdapter, task: Task, data: TaskData, training) -> dict:
    def accuracy(examples) -> float:
        result = evaluate_examples(
            adapter,
            examples,
            label_prompts(examples, "standard"),
            task,
            mode=training.eval_mode,
            batch_size=training.eval_batch_size,
            max_new_tokens=training.max_new_tokens,
        )
        return result.metrics["accuracy"]

    return {"valid": {"best_accuracy": accuracy(data.valid)}, "test": {"accuracy": accuracy(data.test)}}


def _save_or_reference(adapter: ModelAdapter, name: str, out: Path) -> str:
    """Tiny models exist only in memory and are saved; others are referenced by their spec."""
    if name in TINY:
        adapter.model.save_pretrained(out / "model")
        adapter.tokenizer.save_pretrained(out / "model")
        return "model"
    return name


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
