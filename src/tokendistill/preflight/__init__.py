"""Every check that can run before any compute, so a bad input fails in seconds, not hours.

``tokendistill validate`` runs all of it and the pipeline runs it first: the run directory
(creatable, writable, not inside the data), the task's data (every file read and every
row checked, naming file, line and field), the task-level invariants the stages rely on
(non-empty splits, candidate answers for rank evaluation, rationale sizes the inputs can
fill), and the models as far as that is possible without loading one (``models.py``: the
machine's support for their settings, LoRA targets on a weightless skeleton, the
vocabularies soft labels compare; their tokenizers measure every input, so inputs longer
than ``max_prompt_tokens`` are reported and cut by the configured ``truncation`` policy, or
refused under ``error``). Problems with a config value raise ``ConfigError`` carrying the
value's key path, which the command line turns into the config file's line
(``SourceMap.locate``).

What is not known without loading a model: a Hub model's depth (for ``:layers=N``), and the
token counts of a packaged model that is not built yet (it is built at its first use).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import ConfigError, Loc
from tokendistill.preflight.models import check_model, check_soft_labels
from tokendistill.preflight.report import SPLITS, warn
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.tasks import DataError, Example, Task, TaskData, resolve_task
from tokendistill.tracking.config import installed
from tokendistill.training.corpus import corpus


@dataclass(frozen=True)
class Checked:
    """What the checks loaded: the task and its data, ready for the prepare stage."""

    task: Task
    data: TaskData


def preflight(config: Config, console: Console | None = None) -> Checked:
    """Every check, as ``tokendistill validate`` runs them; raises on the first problem."""
    check_run_dir(config)
    return check_inputs(config, console or Console(stderr=True))


def check_run_dir(config: Config) -> None:
    """The run directory can be created and written, and does not lie inside the data."""
    run_dir = Path(config.run_dir)
    existing = next(p for p in (run_dir, *run_dir.absolute().parents) if p.exists())
    if not existing.is_dir():
        what = "is a file" if existing == run_dir else f"cannot be made: {existing} is a file"
        raise ConfigError(f"{run_dir} {what}, not a folder", ("run_dir",))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{existing} is not writable, so {run_dir} cannot be written", ("run_dir",))
    data_dir = config.task.resolved_data_dir().resolve()
    resolved = run_dir.resolve()
    if resolved == data_dir or data_dir in resolved.parents:
        raise ConfigError(
            f"{run_dir} lies inside the data folder {data_dir}; keep the run's outputs apart from its inputs",
            ("run_dir",),
        )


def check_inputs(config: Config, console: Console) -> Checked:
    """The task's data and invariants, evaluation modes, rationale sizes, and input lengths."""
    _check_trackers(config)
    task, data = load_checked(config)
    _check_rank_candidates(config, task, data)
    _check_contrast(config, data)
    _check_data_sources(config, data)
    _check_rationale_sizes(config, data, console)
    texts = corpus(data)
    for loc, model, train in (
        (("teacher", "model"), config.teacher.model, config.teacher.finetune),
        (("student_model",), config.student_model, True),
    ):
        check_model(loc, model, train, texts, data, console)
    check_soft_labels(config, data, texts, console)
    return Checked(task, data)


def load_checked(config: Config) -> tuple[Task, TaskData]:
    """The task and its data, with every split non-empty (the stages train, select and
    score on all three)."""
    try:
        task = resolve_task(config.task)
    except ValueError as err:  # an unknown name, or a custom task under a registered name
        raise ConfigError(str(err), ("task", "name")) from None
    try:
        data = task.load(config.task)
    except DataError:
        raise
    except ValueError as err:  # a config the task cannot serve (e.g. rationales it lacks)
        raise ConfigError(str(err), ("task",)) from None
    for split in SPLITS:
        if not data.split(split):
            raise ConfigError(
                f"task {data.task!r} has no {split} examples; the stages need all three splits "
                "(give the split's file, or hold its rows out of train: task.valid_fraction, "
                "task.custom.test_fraction)",
                ("task",),
            )
    return task, data


def _check_trackers(config: Config) -> None:
    """Every tracker ``report_to`` names is installed (the Trainer would fail at the first training)."""
    missing = config.tracking.missing()
    if missing:
        have = ", ".join(installed()) or "none"
        raise ConfigError(
            f"tracker {missing[0]!r} is not installed here (installed trackers: {have})",
            ("tracking", "report_to"),
        )


def _check_rank_candidates(config: Config, task: Task, data: TaskData) -> None:
    """Rank evaluation picks among candidate answers: every example needs some."""
    for loc, mode in (
        (("teacher", "training", "eval_mode"), config.teacher.training.eval_mode),
        (("student_training", "eval_mode"), config.student_training.eval_mode),
    ):
        if mode != "rank" or task.label_set:
            continue
        bare = next((ex for split in SPLITS for ex in data.split(split) if not ex.choices), None)
        if bare is not None:
            raise ConfigError(
                f"'rank' picks among candidate answers, but example {bare.id!r} of task {data.task!r} has "
                "none (no choices, no label set); use 'generate'",
                loc,
            )


def _check_contrast(config: Config, data: TaskData) -> None:
    """Contrastive attribution picks a foil among each training example's other choices."""
    if not config.attribution.contrastive:
        return
    bare = next((ex for ex in data.train if len(ex.choices or ()) < 2), None)
    if bare is not None:
        raise ConfigError(
            f"contrastive attribution needs answer choices to contrast with, but training example "
            f"{bare.id!r} of task {data.task!r} has {len(bare.choices or ())} (give the task a choices "
            "field or a label set, or set it to false)",
            ("attribution", "contrastive"),
        )


def _check_data_sources(config: Config, data: TaskData) -> None:
    """Rationale sources that draw on the data alone (no attribution method, no k, no model)
    write their training rationales here once, so a task that cannot feed them fails now."""
    for i, student in enumerate(config.students):
        source = None if student.rationale is None else get_source(student.rationale.source)
        if source is None or source.needs_method or source.selects_k or source.uses_model:
            continue
        try:
            source.rationales(SourceRequest(examples=data.train, split="train"))
        except ValueError as err:
            raise ConfigError(str(err), ("students", i, "rationale", "source")) from None


def _requested_sizes(config: Config) -> list[tuple[Loc, int]]:
    """Every rationale size a student asks for, with the key that sets it."""
    sizes: list[tuple[Loc, int]] = [(("selection", "k"), config.selection.k)]
    for i, student in enumerate(config.students):
        if student.rationale is None or not get_source(student.rationale.source).selects_k:
            continue
        if student.sweep_k:
            sizes += [(("students", i, "sweep_k"), k) for k in student.sweep_k]
        elif student.rationale.k is not None:
            sizes.append((("students", i, "rationale", "k"), student.rationale.k))
    return sizes


def _check_rationale_sizes(config: Config, data: TaskData, console: Console) -> None:
    """A top-k word rationale of an input with fewer than k content words is the whole
    input: refused when that holds for every training input, reported otherwise."""
    if config.selection.unit != "word":
        return  # token counts need the teacher's tokenizer; k is usually far below them
    words = {ex.id: _content_words(ex) for ex in data.train}
    loc, k = max(_requested_sizes(config), key=lambda item: item[1])
    short = [ex_id for ex_id, n in words.items() if n < k]
    if len(short) == len(words):
        raise ConfigError(
            f"k = {k} words, but no training input has that many content words (the most is "
            f"{max(words.values())}): every rationale would be the whole input",
            loc,
        )
    if short:
        shortest = min(short, key=words.__getitem__)
        warn(
            console,
            f"{len(short):,} of {len(words):,} training inputs have fewer than k = {k} content words "
            f"({'.'.join(map(str, loc))}); their rationale is all of their words "
            f"(shortest: example {shortest!r}, {words[shortest]} words)",
        )


def _content_words(example: Example) -> int:
    return sum(len(example.text[start:end].split()) for start, end in example.content_spans)
