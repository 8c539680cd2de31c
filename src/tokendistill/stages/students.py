"""Stage 5: one student per (student config, seed), trained and evaluated on valid then test."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tokendistill.artifacts import atomic_write_json
from tokendistill.config import StudentConfig
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.fit import fit
from tokendistill.stages.models import corpus
from tokendistill.stages.rationales import StudentInputs
from tokendistill.tasks import Task, TaskData
from tokendistill.training import TrainingConfig
from tokendistill.training.modes import build_rows


@dataclass
class StudentOutputs:
    student: StudentConfig
    seed: int
    artifact: Artifact
    metrics: dict


def run_student(
    ctx: RunContext,
    student: StudentConfig,
    seed: int,
    model: ModelConfig,
    training: TrainingConfig,
    task: Task,
    data: TaskData,
    inputs: StudentInputs,
    upstream: Artifact,
) -> StudentOutputs:
    """Train one student of architecture ``model`` with ``training`` on what ``inputs`` hold."""
    determinants = {
        "student": student.model_dump(mode="json"),
        "model": model.model_dump(mode="json"),
        "training": training.model_dump(mode="json"),
        "seed": seed,
        "prepare": upstream.key,
        "inputs": inputs.fingerprint(),
    }
    artifact = ctx.artifact("students", f"{student.name}-seed{seed}", determinants)

    def produce(out: Path, work: Path) -> dict:
        texts = corpus(data) + list((inputs.rationales or {}).values())
        adapter = load_adapter(model, corpus=texts, seed=seed, train=True)
        rows = build_rows(
            data.train,
            student.mode,
            rationales=inputs.rationales,
            teacher_labels=inputs.teacher_labels,
            alpha=student.alpha,
        )
        hints = inputs.eval_rationales
        result = fit(
            ctx, adapter, rows, task, data, training, work, mode=student.mode, seed=seed, hints=hints
        )
        shutil.copy(result.metrics_path, out / "metrics.json")
        shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
        if inputs.rationales is not None:
            atomic_write_json(out / "rationales.json", inputs.rationales)
        return {"test": result.test_metrics.get("accuracy"), "valid": result.best_valid_accuracy}

    ctx.build(artifact, produce)
    metrics = json.loads((artifact.path / "metrics.json").read_text())
    return StudentOutputs(student, seed, artifact, metrics)
