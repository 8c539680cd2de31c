"""Stage 7: collect every artifact's figures into metrics.json and one HTML page."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import yaml

from tokendistill.attribution import method_class
from tokendistill.attribution.result import TokenAttribution
from tokendistill.config import Config, StudentConfig
from tokendistill.heatmap import HeatmapExample
from tokendistill.rationales.analysis.result import AnalysisResult
from tokendistill.rationales.select import Selection
from tokendistill.rationales.sources import get_source
from tokendistill.report.data import (
    TERM_PREFIX,
    AccuracySummary,
    ReportData,
    TeacherSummary,
)
from tokendistill.report.faithfulness import teacher_at_chance
from tokendistill.report.html import write_report
from tokendistill.report.timing import read_profiles
from tokendistill.runtime.context import RunContext
from tokendistill.stages.students import StudentOutputs
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import TaskData
from tokendistill.training.modes import get_mode
from tokendistill.training.rows import TASK_NAMES


def student_summaries(outputs: list[StudentOutputs]) -> list[AccuracySummary]:
    grouped: dict[str, list[StudentOutputs]] = defaultdict(list)
    for out in outputs:
        grouped[out.student.name].append(out)
    summaries = []
    for name, runs in grouped.items():
        summaries.append(
            AccuracySummary(
                name=name,
                mode=runs[0].student.mode,
                seeds=[r.seed for r in runs],
                test_accuracy=[r.metrics["test"]["accuracy"] for r in runs],
                valid_accuracy=[r.metrics["valid"]["best_accuracy"] or 0.0 for r in runs],
                n_test=int(runs[0].metrics["test"].get("n", 0)),
                detail=student_detail(runs[0].student),
            )
        )
    return summaries


def student_detail(student: StudentConfig) -> str:
    """How the student learns, in words: its labels or its rationales, then its mode's options.
    Rationales are named by their method (a control's as "<method> scores", e.g. "random
    scores") or their source's description (the ``random`` source's is "random selection")."""
    r = student.rationale
    if r is None:
        base, joint = f"{student.labels} labels", "; "
    else:
        if r.method:
            what = f"{r.method} scores" if method_class(r.method).is_control else r.method
        else:
            what = get_source(r.source).describe(r.source_options())
        base, joint = what + (f", k={r.k}" if r.k else ""), ", "
    options = get_mode(student.mode).describe(student.options)
    return base + joint + options if options else base


def heatmaps(config: Config, attributions: dict[str, list[TokenAttribution]]) -> list[HeatmapExample]:
    """The first few finite examples of the first method that is not a control (random
    scores explain nothing), with their selected words."""
    selection = Selection(config.selection)
    out = []
    for method, records in attributions.items():
        if method_class(method).is_control:
            continue
        for record in [r for r in records if r.finite][: config.analysis.heatmaps]:
            chosen = selection.select(record, config.selection.k, on_nonfinite="empty")
            out.append(
                HeatmapExample(
                    example_id=record.example_id,
                    text=record.text,
                    offsets=record.offsets,
                    scores=record.scores,
                    content=record.content,
                    selected=list(chosen.spans),
                    gold=record.gold,
                    teacher_answer=record.teacher_answer,
                    method=method,
                )
            )
        break  # one method's heatmaps keep the page readable; the analyses compare methods
    return out


def curves(outputs: list[StudentOutputs]) -> dict:
    out = {}
    for o in outputs:
        history = o.metrics.get("valid", {}).get("history", [])
        series = {"valid_accuracy": [(h["step"], h["accuracy"]) for h in history]}
        losses = o.metrics.get("loss_history") or []
        if losses and all("loss_label" in h for h in losses):
            # The label task's own loss: comparable between label-only and two-task students.
            series["label_loss"] = [(h["step"], h["loss_label"]) for h in losses]
        elif losses:
            series["loss"] = [(h["step"], h["loss"]) for h in losses]
        for term in _term_names(losses):  # the mode's own named loss terms (loss_<name>)
            series[f"{TERM_PREFIX}{term}"] = [
                (h["step"], h[f"loss_{term}"]) for h in losses if f"loss_{term}" in h
            ]
        out[f"{o.student.name} (seed {o.seed})"] = series
    return out


def _term_names(losses: list[dict]) -> list[str]:
    tasks = {f"loss_{name}" for name in TASK_NAMES}
    keys = dict.fromkeys(k for h in losses for k in h if k.startswith("loss_") and k not in tasks)
    return [k.removeprefix("loss_") for k in keys]


def build_report(
    config: Config,
    config_text: str,
    data: TaskData,
    teacher: TeacherOutputs,
    students: list[StudentOutputs],
    attributions: dict[str, list[TokenAttribution]],
    analysis: AnalysisResult,
    timings: dict[str, float],
) -> ReportData:
    teacher_row = TeacherSummary(
        model=config.teacher.model.name,
        n_test=len(data.test),
        valid_accuracy=teacher.metrics["valid"]["best_accuracy"],
        test_accuracy=teacher.metrics["test"]["accuracy"],
    )
    sizes = ", ".join(f"{k} {v:,}" for k, v in {**data.sizes(), **data.teacher_sizes()}.items())
    notes = list(data.notes)
    warning = _teacher_warning(data, teacher_row.valid_accuracy)
    if warning:
        notes.append(warning)
    if config.attribution.contrastive:
        notes.append(
            "attribution is contrastive: every method scores the margin of the teacher's answer over the "
            "best other answer choice"
        )
    return ReportData(
        title=config.title,
        task=f"{data.task} ({sizes})",
        task_notes=notes,
        teacher=teacher_row,
        students=student_summaries(students),
        analysis=analysis,
        heatmaps=heatmaps(config, attributions),
        curves=curves(students),
        stage_seconds=timings,
        stage_profiles=read_profiles(
            (f"{a.stage}/{a.name}", a.path) for a in [teacher.artifact, *(s.artifact for s in students)]
        ),
        config_text=config_text,
    )


def _teacher_warning(data: TaskData, valid_accuracy: float | None) -> str | None:
    """The warning for a teacher at chance on its validation split (tasks with answer choices:
    chance is one over the number of choices, averaged over the examples)."""
    own = data.for_teacher()
    choices = own.answer_choices("valid") if own.valid else None
    if not choices:
        return None
    chance = sum(1 / len(c) for c in choices.values()) / len(choices)
    return teacher_at_chance(valid_accuracy, len(own.valid), chance)


def run_report(
    ctx: RunContext,
    config: Config,
    data: TaskData,
    teacher: TeacherOutputs,
    students: list[StudentOutputs],
    attributions: dict[str, list[TokenAttribution]],
    analysis: tuple[AnalysisResult, str],
) -> Path:
    """Write report.html and metrics.json (keyed by everything they show), and copy both to
    the run directory, a stable place to open; returns the copied report's path."""
    result, analysis_key = analysis
    determinants = {
        "teacher": teacher.artifact.key,
        "students": [s.artifact.key for s in students],
        "analysis": analysis_key,
        "config": config.model_dump(mode="json"),
    }
    built_from = [teacher.artifact, *(s.artifact for s in students), analysis_key]
    artifact = ctx.artifact("report", "report", determinants, upstream=built_from)

    def produce(out: Path, _work: Path) -> dict:
        text = config_as_text(config)
        report = build_report(config, text, data, teacher, students, attributions, result, dict(ctx.timings))
        write_report(report, out / "report")
        return {}

    ctx.build(artifact, produce)
    if ctx.is_main:
        for name in ("report.html", "metrics.json"):
            shutil.copy(artifact.path / "report" / name, ctx.run_dir / name)
    return ctx.run_dir / "report.html"


def config_as_text(config: Config) -> str:
    return yaml.safe_dump(json.loads(config.model_dump_json()), sort_keys=False)
