"""Stage 5: one student per (student config, seed), trained and evaluated on valid then test."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from tokendistill.artifacts import atomic_write_json, stable_hash
from tokendistill.config import Config, StudentConfig
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.fit import fit
from tokendistill.stages.models import adapter_for, build_model
from tokendistill.stages.teacher import corpus
from tokendistill.tasks import Task, TaskData
from tokendistill.training.rows import build_rows


@dataclass
class StudentOutputs:
    student: StudentConfig
    seed: int
    artifact: Artifact
    metrics: dict


def run_student(
    ctx: RunContext,
    config: Config,
    task: Task,
    data: TaskData,
    student: StudentConfig,
    seed: int,
    *,
    rationales: dict[str, str] | None,
    hints: dict[str, str] | None,
    teacher_labels: dict[str, str] | None,
    upstream: Artifact,
) -> StudentOutputs:
    """Train one student. ``rationales`` (train ids) feed the explain task or the hints;
    ``hints`` (valid/test ids) are the inputs of a 'hints' student at evaluation."""
    determinants = {
        "student": student.model_dump(mode="json"),
        "model": config.student_model.model_dump(mode="json"),
        "training": config.student_training.model_dump(mode="json"),
        "seed": seed,
        "prepare": upstream.key,
        "rationales": stable_hash(rationales) if rationales is not None else None,
        "hints": stable_hash(hints) if hints is not None else None,
        "teacher_labels": stable_hash(teacher_labels) if teacher_labels is not None else None,
    }
    artifact = ctx.artifact("students", f"{student.name}-seed{seed}", determinants)

    def produce(out: Path, work: Path) -> dict:
        model, tokenizer = build_model(config.student_model, _student_corpus(data, rationales), seed=seed)
        adapter = adapter_for(model, tokenizer, config.student_model)
        training = config.student_training.model_copy(
            update={"mode": student.mode, "alpha": student.alpha, "seed": seed}
        )
        rows = build_rows(
            data.train,
            student.mode,
            rationales=rationales,
            teacher_labels=teacher_labels,
            alpha=student.alpha,
        )
        result = fit(ctx, adapter, rows, task, data, training, work, hints)
        shutil.copy(result.metrics_path, out / "metrics.json")
        shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
        if rationales is not None:
            atomic_write_json(out / "rationales.json", rationales)
        return {"test": result.test_metrics.get("accuracy"), "valid": result.best_valid_accuracy}

    ctx.build(artifact, produce)
    metrics = json.loads((artifact.path / "metrics.json").read_text())
    return StudentOutputs(student, seed, artifact, metrics)


def _student_corpus(data: TaskData, rationales: dict[str, str] | None) -> list[str]:
    return corpus(data) + list((rationales or {}).values())
