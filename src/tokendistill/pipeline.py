"""The stage list: prepare → teacher → attribute → students → analyze → report.

Each stage writes a keyed artifact under the run directory (see ``runtime/context.py``);
finished artifacts are skipped, so re-running a finished config does nothing and a killed
run resumes. Before any stage, the preflight checks every input (``preflight/``) while
the run holds its run directory's lock (``runtime/lock.py``). This module holds only the
order and the wiring: every stage receives its own slice of the config and what earlier
stages produced, and nothing here branches on a student mode or a rationale source.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

from rich.console import Console

from tokendistill.attribution.result import TokenAttribution
from tokendistill.config import Config, StudentConfig
from tokendistill.distributed import default_state
from tokendistill.kept.manifest import Provenance
from tokendistill.models.adapter import ModelAdapter
from tokendistill.preflight import check_inputs, check_run_dir
from tokendistill.rationales.analysis.evidence import evidence_spans
from tokendistill.rationales.analysis.result import AnalysisResult
from tokendistill.rationales.sources.base import Produce
from tokendistill.report.data import ReportData
from tokendistill.report.figures import report_figures, stage_figures
from tokendistill.runtime.context import Artifact, RunContext
from tokendistill.runtime.lock import run_lock
from tokendistill.stages.analyze import run_analysis
from tokendistill.stages.attribute import run_attribution
from tokendistill.stages.distributions import run_distributions
from tokendistill.stages.prepare import run_prepare
from tokendistill.stages.rationales import student_inputs
from tokendistill.stages.report import run_report
from tokendistill.stages.students import (
    StudentOutputs,
    keep_seeds,
    rationale_k,
    run_student,
    write_model_index,
)
from tokendistill.stages.teacher import TeacherOutputs, load_teacher, run_teacher
from tokendistill.tasks import Task, TaskData
from tokendistill.tracking import open_tracker
from tokendistill.training.modes import get_mode
from tokendistill.training.soft_targets import TeacherDistributions


@dataclass
class PipelineResult:
    run_dir: Path
    report_path: Path | None
    students: list[StudentOutputs] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


@dataclass
class Run:
    """What the stages have produced so far; each stage fills its part."""

    config: Config
    ctx: RunContext
    task: Task = field(init=False)
    data: TaskData = field(init=False)
    prepared: Artifact = field(init=False)
    teacher: TeacherOutputs = field(init=False)
    students: list[StudentOutputs] = field(default_factory=list)
    analysis: AnalysisResult = field(init=False)
    analysis_key: str = field(init=False)
    report_path: Path | None = None
    _records: dict[tuple[str, str], list[TokenAttribution]] = field(default_factory=dict)

    @cached_property
    def teacher_adapter(self) -> ModelAdapter:
        return load_teacher(self.teacher, self.config.teacher)

    def records(self, method: str | None, split: str) -> list[TokenAttribution]:
        """Attribution records of ``split`` by ``method`` (None: the first configured one),
        computed once per run, read from the cache afterwards."""
        method = method or self.config.attribution.methods[0]
        if (method, split) not in self._records:
            self._records[(method, split)] = run_attribution(
                self.ctx,
                self.config.attribution,
                self.task,
                self.data,
                self.teacher,
                lambda: self.teacher_adapter,
                method,
                split,
            )
        return self._records[(method, split)]

    def train_attributions(self) -> dict[str, list[TokenAttribution]]:
        return {m: self.records(m, "train") for m in self.config.attribution.methods}

    def cache(self, name: str, determinants: object, produce: Produce) -> Path:
        """A keyed artifact a rationale source keeps its own work in (``SourceRequest.cached``)."""
        return self.ctx.build(self.ctx.artifact("rationales", name, determinants), produce)

    def distributions(self, student: StudentConfig) -> TeacherDistributions:
        """The teacher's stored distributions a soft-label ``student`` learns (computed once)."""
        teacher = self.config.teacher
        answers = self.teacher.train_answers if student.labels == "teacher" else None
        setting = get_mode(student.mode).needs(student.options).distributions
        if setting is None:
            raise ValueError(f"student {student.name!r} learns no teacher distributions")
        return run_distributions(
            self.ctx,
            setting,
            self.data,
            self.teacher,
            answers,
            lambda: self.teacher_adapter,
            teacher.model.name,
            teacher.training.eval_batch_size,
        )


def _prepare(run: Run) -> None:
    run.data, run.prepared = run_prepare(run.ctx, run.config.task, run.task, run.data)
    run.ctx.console.print(f"[dim]{run.data.summary()}[/dim]")


def _teacher(run: Run) -> None:
    config = run.config
    run.teacher = run_teacher(run.ctx, config.teacher, run.task, run.data, run.prepared, config.task)


def _attribute(run: Run) -> None:
    run.train_attributions()


def _students(run: Run) -> None:
    config = run.config
    for student in config.expanded_students():
        train = partial(_train_student, run, student)
        run.students.extend(keep_seeds(run.ctx, config.seeds, train, config.keep_models))
    if run.ctx.is_main:
        write_model_index(run.ctx.run_dir, run.teacher, run.students, config.keep_models)


def _train_student(run: Run, student: StudentConfig, seed: int, need_model: bool) -> StudentOutputs:
    config = run.config
    answers = run.teacher.train_answers
    inputs = student_inputs(
        student, seed, config.selection, run.data, answers, run.records, run.cache, run.distributions,
        lambda: run.teacher_adapter,
    )  # fmt: skip
    provenance = Provenance(config.task, config.teacher.model.name, rationale_k(student))
    return run_student(
        run.ctx,
        student,
        seed,
        config.student_model,
        config.student_training,
        run.task,
        run.data,
        inputs,
        run.prepared,
        provenance,
        need_model=need_model,
    )


def _analyze(run: Run) -> None:
    run.analysis, run.analysis_key = run_analysis(
        run.ctx,
        run.config.analysis,
        run.config.selection,
        run.train_attributions(),
        run.teacher.artifact.key,
        lambda: run.teacher_adapter,
        evidence_spans(run.data.train),
        run.data.answer_choices("train"),
        run.config.teacher.training.eval_batch_size,
    )


def _report(run: Run) -> None:
    analysis = (run.analysis, run.analysis_key)
    attributions = run.train_attributions()
    run.report_path = run_report(
        run.ctx, run.config, run.data, run.teacher, run.students, attributions, analysis
    )
    if run.ctx.is_main:  # the tracker run gets the figures metrics.json holds, computed or cached
        report = ReportData.from_json(json.loads((run.ctx.run_dir / "metrics.json").read_text()))
        run.ctx.tracker.log(report_figures(report, run.config.selection.k))


STAGES: tuple[tuple[str, Callable[[Run], None]], ...] = (
    ("prepare", _prepare),
    ("teacher", _teacher),
    ("attribute", _attribute),
    ("students", _students),
    ("analyze", _analyze),
    ("report", _report),
)
STAGE_NAMES: tuple[str, ...] = tuple(name for name, _ in STAGES)


def _run_stages(run: Run, until: str) -> None:
    """The stages up to ``until``; the tracker run gets each stage's wall times as it ends."""
    logged: set[str] = set()
    for name, stage in STAGES:
        stage(run)
        seconds = {label: s for label, s in run.ctx.timings.items() if label not in logged}
        run.ctx.tracker.log(stage_figures(seconds))
        logged.update(seconds)
        if name == until:
            break


def _note(console: Console, text: str) -> None:
    console.print(f"[dim]trackers: {text}[/dim]")


def run_pipeline(config: Config, *, until: str = "report", console: Console | None = None) -> PipelineResult:
    """Run every stage up to and including ``until``; finished stages are read from disk."""
    if until not in STAGE_NAMES:
        raise ValueError(f"unknown stage {until!r}; stages: {STAGE_NAMES}")
    state = default_state()
    # Under several processes the main one shows progress, holds the lock and writes.
    console = (console or Console()) if state.is_main_process else Console(quiet=True)
    check_run_dir(config)
    run = Run(config, RunContext(Path(config.run_dir), console, state=state))
    with run_lock(run.ctx.run_dir) if state.is_main_process else contextlib.nullcontext():
        checked = check_inputs(config, console)
        run.task, run.data = checked.task, checked.data
        note = partial(_note, console)
        with open_tracker(
            config.tracking, run.ctx.run_dir, is_main=state.is_main_process, note=note
        ) as tracker:
            run.ctx.tracker = tracker
            _run_stages(run, until)
    ctx = run.ctx
    return PipelineResult(ctx.run_dir, run.report_path, run.students, ctx.computed, ctx.skipped, ctx.repaired)
