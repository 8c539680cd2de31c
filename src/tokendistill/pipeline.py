"""The stage list: prepare → teacher → attribute → select → students → analyze → report.

Each stage writes a keyed artifact under the run directory (see ``stages/context.py``);
finished artifacts are skipped, so re-running a finished config does nothing and a killed
run resumes. This module holds only the order and the wiring between stages.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rich.console import Console

from tokendistill.attribution.result import TokenAttribution
from tokendistill.config import Config, StudentConfig
from tokendistill.stages.analyze import run_analysis
from tokendistill.stages.attribute import run_attribution
from tokendistill.stages.context import RunContext
from tokendistill.stages.prepare import run_prepare
from tokendistill.stages.report import build_report, config_as_text, write_run_report
from tokendistill.stages.select import rationales_for
from tokendistill.stages.students import StudentOutputs, run_student
from tokendistill.stages.teacher import load_teacher, run_teacher

STAGES = ("prepare", "teacher", "attribute", "students", "analyze", "report")


@dataclass
class PipelineResult:
    run_dir: Path
    report_path: Path | None
    students: list[StudentOutputs] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run_pipeline(config: Config, *, until: str = "report", console: Console | None = None) -> PipelineResult:
    """Run every stage up to and including ``until``; finished stages are read from disk."""
    if until not in STAGES:
        raise ValueError(f"unknown stage {until!r}; stages: {STAGES}")
    stop = STAGES.index(until)
    ctx = RunContext(Path(config.run_dir), console or Console())
    result = PipelineResult(ctx.run_dir, None, computed=ctx.computed, skipped=ctx.skipped)

    task, data, prepared = run_prepare(ctx, config.task)
    ctx.console.print(f"[dim]{data.summary()}[/dim]")
    if stop < 1:
        return result
    teacher = run_teacher(ctx, config, task, data, prepared)
    teacher_adapter = cache(lambda: load_teacher(teacher, config))
    if stop < 2:
        return result
    attributions = {
        m: run_attribution(ctx, config.attribution, task, data, teacher, teacher_adapter, m, "train")
        for m in config.attribution.methods
    }
    hint_records = _hint_attributions(ctx, config, task, data, teacher, teacher_adapter)
    if stop < 3:
        return result
    for student in config.expanded_students():
        for seed in config.seeds:
            result.students.append(
                _train_student(
                    ctx, config, task, data, student, seed, teacher, attributions, hint_records, prepared
                )
            )
    if stop < 4:
        return result
    evidence = {
        e.id: [(int(ev["start"]), int(ev["end"])) for ev in e.meta["evidence"]]
        for e in data.train
        if e.meta.get("evidence")
    }
    analysis, analysis_key = run_analysis(
        ctx, config, attributions, teacher.artifact.key, teacher_adapter, evidence
    )
    if stop < 5:
        return result
    result.report_path = _report(
        ctx, config, data, teacher, result.students, attributions, analysis, analysis_key
    )
    return result


def _hint_attributions(
    ctx, config, task, data, teacher, teacher_adapter
) -> dict[str, dict[str, list[TokenAttribution]]]:
    """'hints' students read the teacher's rationale at evaluation too: attribute valid/test."""
    methods = {
        s.rationale.method
        for s in config.expanded_students()
        if s.mode == "hints" and s.rationale is not None and s.rationale.source == "attribution"
    }
    return {
        m: {
            split: run_attribution(ctx, config.attribution, task, data, teacher, teacher_adapter, m, split)
            for split in ("valid", "test")
        }
        for m in sorted(methods)
    }


def _train_student(
    ctx,
    config: Config,
    task,
    data,
    student: StudentConfig,
    seed: int,
    teacher,
    attributions,
    hint_records,
    prepared,
) -> StudentOutputs:
    source = student.rationale
    rationales = hints = None
    if source is not None:
        records = (
            attributions.get(source.method) if source.method else next(iter(attributions.values()), None)
        )
        rationales = rationales_for(config, source, data.train, records, seed)
        if student.mode == "hints":
            hints = {}
            for split in ("valid", "test"):
                split_records = hint_records[source.method][split] if source.method else None
                hints.update(rationales_for(config, source, data.split(split), split_records, seed))
    labels = teacher.train_answers if student.labels == "teacher" else None
    return run_student(
        ctx,
        config,
        task,
        data,
        student,
        seed,
        rationales=rationales,
        hints=hints,
        teacher_labels=labels,
        upstream=prepared,
    )


def _report(ctx, config, data, teacher, students, attributions, analysis, analysis_key: str) -> Path:
    determinants = {
        "teacher": teacher.artifact.key,
        "students": [s.artifact.key for s in students],
        "analysis": analysis_key,
        "config": config.model_dump(mode="json"),
    }
    artifact = ctx.artifact("report", "report", determinants)

    def produce(out: Path, _work: Path) -> dict:
        report = build_report(
            config, config_as_text(config), data, teacher, students, attributions, analysis, dict(ctx.timings)
        )
        write_run_report(report, out)
        return {}

    ctx.build(artifact, produce)
    # A stable place to open, next to the keyed artifact.
    for name in ("report.html", "metrics.json"):
        shutil.copy(artifact.path / "report" / name, ctx.run_dir / name)
    return ctx.run_dir / "report.html"
