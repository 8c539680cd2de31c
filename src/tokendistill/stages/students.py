"""Stage 5: one student per (student config, seed), trained and evaluated on valid then test.

Each student artifact keeps its selected (best-on-validation) model in ``model/``, a plain
Hugging Face folder with ``tokendistill.json`` and a model card. ``keep_seeds`` applies the
run's ``keep_models`` policy (``all``, ``best`` seed on validation, ``none``) by pruning
models through the run context, and retrains a seed whose model a policy needs but an
earlier policy pruned. ``write_model_index`` lists the kept models in ``models.json``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tokendistill.config import KeepModels, StudentConfig
from tokendistill.kept.card import write_kept_model
from tokendistill.kept.manifest import (
    MODEL_INDEX,
    Evaluation,
    Method,
    ModelManifest,
    Provenance,
    accuracy_of,
    adapter_settings,
    task_facts,
)
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.rationales.sources import get_source
from tokendistill.runtime.context import Artifact, RunContext
from tokendistill.runtime.files import atomic_write_json
from tokendistill.stages.rationales import StudentInputs
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import Example, Task, TaskData
from tokendistill.training import TrainingConfig
from tokendistill.training.corpus import corpus
from tokendistill.training.fit import fit
from tokendistill.training.modes import TermInputs, build_rows, get_mode, label_prompts
from tokendistill.training.on_policy import OnPolicy
from tokendistill.training.profile import PROFILE
from tokendistill.training.rows import TrainingRow
from tokendistill.training.run import TrainResult
from tokendistill.training.soft_targets import describe_tokenizer

MODEL = "model"


@dataclass
class StudentOutputs:
    student: StudentConfig
    seed: int
    artifact: Artifact
    metrics: dict
    model: Path | None = None  # the kept model folder; None once pruned


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
    provenance: Provenance,
    *,
    need_model: bool = True,
) -> StudentOutputs:
    """Train one student of ``model`` with ``training`` on ``inputs``; ``need_model``: retrain
    when the cached artifact's model was pruned."""
    determinants = {
        "student": student.determinants(),
        **{name: value.model_dump(mode="json") for name, value in (("model", model), ("training", training))},
        **{"seed": seed, "prepare": upstream.key, "inputs": inputs.fingerprint()},
    }
    built_from = [upstream, *([inputs.distributions.key] if inputs.distributions else [])]
    artifact = ctx.artifact("students", f"{student.name}-seed{seed}", determinants, upstream=built_from)

    def produce(out: Path, work: Path) -> dict:
        mode, options = get_mode(student.mode), student.options
        adapter = load_adapter(model, corpus=_corpus(student, data, inputs), seed=seed, train=True)
        rows = build_rows(
            data.train, mode, rationales=inputs.rationales, teacher_labels=inputs.teacher_labels,
            options=options,
        )  # fmt: skip
        terms = mode.loss_terms(options, _term_inputs(adapter, rows, model, inputs, data.train, student.mode))
        result = fit(
            ctx, adapter, rows, task, data, training, work, mode=student.mode, seed=seed, terms=terms,
            hints=inputs.eval_rationales, record=options.model_dump(mode="json"), track_as=artifact.name,
        )  # fmt: skip
        if ctx.is_main:  # every process trained; one writes
            _write_outputs(out, result, inputs)
            metrics = json.loads(result.metrics_path.read_text())
            manifest = _manifest(
                student, seed, model, training, adapter.architecture, data, metrics, provenance
            )
            write_kept_model(out / MODEL, manifest)
        return {"test": result.test_metrics.get("accuracy"), "valid": result.best_valid_accuracy}

    ctx.build(artifact, produce, require=(MODEL,) if need_model else (), collective=True)
    metrics = json.loads((artifact.path / "metrics.json").read_text())
    kept = None if MODEL in ctx.pruned(artifact) else artifact.path / MODEL
    return StudentOutputs(student, seed, artifact, metrics, kept)


def _term_inputs(
    adapter: ModelAdapter,
    rows: list[TrainingRow],
    model: ModelConfig,
    inputs: StudentInputs,
    train: Sequence[Example],
    mode: str,
) -> TermInputs:
    described = describe_tokenizer(model.name, adapter.tokenizer)
    on_policy = None
    if inputs.teacher is not None:
        ids = [example.id for example in train]
        student_prompts = dict(zip(ids, label_prompts(train, mode), strict=True))
        teacher_prompts = dict(zip(ids, label_prompts(train, "standard"), strict=True))
        on_policy = OnPolicy(inputs.teacher(), student_prompts, teacher_prompts)
    return TermInputs(adapter, rows, inputs.distributions, described, inputs.marks, on_policy)


def _corpus(student: StudentConfig, data: TaskData, inputs: StudentInputs) -> list[str]:
    """The texts a tiny student's tokenizer is built from: the teacher's (the task's texts),
    plus the student's rationales so that it can write them; but not for a student that
    compares next-token distributions with the teacher, which needs the teacher's vocabulary
    exactly (its rationales' words then become word pieces)."""
    if get_mode(student.mode).needs(student.options).teacher_vocabulary:
        return corpus(data)
    return corpus(data) + list((inputs.rationales or {}).values())


def _write_outputs(out: Path, result: TrainResult, inputs: StudentInputs) -> None:
    """The artifact's files: metrics, time profile, test predictions, rationales, and the
    selected model."""
    shutil.copy(result.metrics_path, out / "metrics.json")
    shutil.copy(result.profile_path, out / PROFILE)
    shutil.copy(result.predictions_path, out / "test_predictions.jsonl")
    if inputs.rationales is not None:
        atomic_write_json(out / "rationales.json", inputs.rationales)
    shutil.move(result.model_dir, out / MODEL)


def _manifest(
    student: StudentConfig,
    seed: int,
    model: ModelConfig,
    training: TrainingConfig,
    architecture: str,
    data: TaskData,
    metrics: dict,
    provenance: Provenance,
) -> ModelManifest:
    rationale = student.rationale
    method = Method(
        labels=student.labels,
        rationale_source=rationale.source if rationale else None,
        attribution_method=rationale.method if rationale else None,
        k=provenance.k,
        alpha=get_mode(student.mode).label_weight(student.options),
    )
    config = {
        "student": student.determinants(),
        "student_model": model.model_dump(mode="json"),
        "student_training": training.model_dump(mode="json"),
        "task": provenance.task.model_dump(mode="json"),
        "seed": seed,
    }
    return ModelManifest(
        role="student",
        name=student.name,
        seed=seed,
        base_model=model.name,
        architecture=architecture,
        mode=student.mode,
        adapter=adapter_settings(model),
        evaluation=Evaluation.of(training),
        task=provenance.task,
        **task_facts(data),
        method=method,
        teacher=provenance.teacher if _learns_from_teacher(student) else None,
        accuracy=accuracy_of(metrics),
        config=config,
    )


def _learns_from_teacher(student: StudentConfig) -> bool:
    """Whether the teacher's answers, distributions or attributions (a source that needs a
    method) are what the student learns from; gold, LLM and random rationales are not the
    teacher's."""
    rationale = student.rationale
    return (
        student.labels == "teacher"
        or get_mode(student.mode).needs(student.options).distributions is not None
        or (rationale is not None and get_source(rationale.source).needs_method)
    )


def rationale_k(student: StudentConfig) -> int | None:
    """The rationale size ``student`` trains with (resolved by ``Config.expanded_students``),
    or None when its rationales select no words (validation refuses a ``k`` for those)."""
    return student.rationale.k if student.rationale is not None else None


def best_index(outputs: Sequence[StudentOutputs]) -> int:
    """The seed with the best validation accuracy (the first of equals); never test accuracy."""
    scores = [out.metrics["valid"]["best_accuracy"] for out in outputs]
    return max(range(len(outputs)), key=lambda i: (scores[i] is not None, scores[i] or 0.0, -i))


def keep_seeds(
    ctx: RunContext,
    seeds: Sequence[int],
    train: Callable[[int, bool], StudentOutputs],
    policy: KeepModels,
) -> list[StudentOutputs]:
    """``train(seed, need_model)`` for every seed of one student, then keep the models
    ``policy`` asks for: all of them, the best seed's, or none (the others are pruned)."""
    outputs = [train(seed, policy == "all") for seed in seeds]
    best = best_index(outputs)
    if policy == "best" and outputs[best].model is None:
        outputs[best] = train(seeds[best], True)
    for i, out in enumerate(outputs):
        if out.model is not None and (policy == "none" or (policy == "best" and i != best)):
            ctx.prune(out.artifact, MODEL, f"keep_models: {policy}")
            outputs[i] = replace(out, model=None)
    return outputs


def write_model_index(
    run_dir: Path, teacher: TeacherOutputs, students: Sequence[StudentOutputs], policy: KeepModels
) -> Path:
    """``models.json``: the teacher's and every student's model folder (relative to the run
    directory; null where none is kept), with their accuracies and which seed is the best."""
    by_name: dict[str, list[StudentOutputs]] = {}
    for out in students:
        by_name.setdefault(out.student.name, []).append(out)
    entries = []
    for runs in by_name.values():
        best = best_index(runs)
        entries += [_entry(run_dir, out, i == best) for i, out in enumerate(runs)]
    folder = teacher.folder
    index = {
        "keep_models": policy,
        "teacher": str(folder.relative_to(run_dir)) if folder is not None else None,
        "students": entries,
    }
    return atomic_write_json(run_dir / MODEL_INDEX, index, sort_keys=False)


def _entry(run_dir: Path, out: StudentOutputs, best: bool) -> dict:
    return {
        "name": out.student.name,
        "seed": out.seed,
        "mode": out.student.mode,
        "model": str(out.model.relative_to(run_dir)) if out.model is not None else None,
        "valid_accuracy": out.metrics["valid"]["best_accuracy"],
        "test_accuracy": out.metrics["test"]["accuracy"],
        "best_seed": best,
    }
