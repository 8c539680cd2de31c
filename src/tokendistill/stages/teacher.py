"""Stage 2: the teacher, fine-tuned on gold labels (or taken as it is), and its answers."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tokendistill.artifacts import atomic_write_json
from tokendistill.config import TeacherConfig
from tokendistill.evaluation.io import read_jsonl, write_jsonl
from tokendistill.evaluation.predict import evaluate_examples
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.models.spec import parse_spec, spec_kind
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.fit import fit
from tokendistill.stages.models import corpus, inference_device
from tokendistill.tasks import Example, Task, TaskData
from tokendistill.training import TrainingConfig
from tokendistill.training.modes import build_rows, label_prompts


@dataclass
class TeacherOutputs:
    artifact: Artifact
    folder: Path | None  # the model this run saved; None when the user's spec is used as is
    metrics: dict
    train_answers: dict[str, str]


def run_teacher(
    ctx: RunContext, teacher: TeacherConfig, task: Task, data: TaskData, upstream: Artifact
) -> TeacherOutputs:
    determinants = {"teacher": teacher.model_dump(mode="json"), "prepare": upstream.key}
    artifact = ctx.artifact("teacher", _slug(teacher.model.name), determinants)

    def produce(out: Path, work: Path) -> dict:
        device = None if teacher.finetune else inference_device()  # used as it is: inference only
        adapter = load_adapter(
            teacher.model, corpus=corpus(data), seed=teacher.seed, device=device, train=teacher.finetune
        )
        training = teacher.training
        if teacher.finetune:
            rows = build_rows(data.train, "standard")
            result = fit(ctx, adapter, rows, task, data, training, work, mode="standard", seed=teacher.seed)
            shutil.copytree(result.model_dir, out / "model")
            metrics = json.loads(result.metrics_path.read_text())
            shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
            saved = True
        else:
            metrics = {
                "valid": {"best_accuracy": _accuracy(adapter, task, data.valid, training)},
                "test": {"accuracy": _accuracy(adapter, task, data.test, training)},
            }
            saved = _save_if_built(adapter, teacher.model.name, out)
        answers = _answers(adapter, task, data.train, training)
        write_jsonl(out / "train_answers.jsonl", ({"id": k, "answer": v} for k, v in answers.items()))
        atomic_write_json(out / "teacher.json", {"saved": saved, "metrics": metrics})
        return {"valid": metrics["valid"]["best_accuracy"], "test": metrics["test"]["accuracy"]}

    ctx.build(artifact, produce)
    info = json.loads((artifact.path / "teacher.json").read_text())
    folder = artifact.path / "model" if info["saved"] else None
    answers = {row["id"]: row["answer"] for row in read_jsonl(artifact.path / "train_answers.jsonl")}
    return TeacherOutputs(artifact, folder, info["metrics"], answers)


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


def _save_if_built(adapter: ModelAdapter, name: str, out: Path) -> bool:
    """Tiny models exist only in memory and are saved; others stay referenced by their spec."""
    if spec_kind(parse_spec(name)) != "tiny":
        return False
    adapter.model.save_pretrained(out / "model")
    adapter.tokenizer.save_pretrained(out / "model")
    return True


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
