"""Every check that can run before any compute, so a bad input fails in seconds, not hours.

``tokendistill validate`` runs all of it and the pipeline runs it first: the run directory
(creatable, writable, not inside the data), the task's data (every file read and every
row checked, naming file, line and field), the task-level invariants the stages rely on
(non-empty splits, candidate answers for rank evaluation, rationale sizes the inputs can
fill), and the models as far as that is possible without loading one: their tokenizers
measure every input, so inputs longer than ``max_prompt_tokens`` are reported (count and
longest example) and cut by the configured ``truncation`` policy, or refused under
``error``. Problems with a config value raise ``ConfigError`` carrying the value's key
path, which the command line turns into the config file's line (``SourceMap.locate``).

What is not known without loading a model: a Hub model's depth (for ``:layers=N``), and the
token counts of a packaged model that is not built yet (it is built at its first use).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from tokendistill.config import Config
from tokendistill.config_io import ConfigError, Loc
from tokendistill.models.build import model_skeleton, prompt_cutter
from tokendistill.models.config import ModelConfig
from tokendistill.models.errors import ModelSpecError
from tokendistill.models.lora import check_lora_targets
from tokendistill.models.precision import check_machine
from tokendistill.models.spec import parse_spec, spec_kind
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.stages.models import corpus
from tokendistill.tasks import DataError, Example, Task, TaskData, resolve_task
from tokendistill.training.modes import label_prompts
from tokendistill.training.soft_targets import describe_tokenizer, vocabulary_fingerprint

SPLITS = ("train", "valid", "test")


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
        _check_machine(loc, model, train)
        _check_lengths(loc, model, texts, data, console)
        if train:
            _check_lora(loc, model, texts)
    _check_soft_labels(config, data, texts, console)
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
                "(give the split's file, or a valid_fraction to hold validation rows out of train)",
                ("task",),
            )
    return task, data


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


def _check_soft_labels(config: Config, data: TaskData, texts: Sequence[str], console: Console) -> None:
    """A soft-label student compares distributions the teacher and it can both give: answer
    choices for every training example, or one vocabulary (told by the tokenizers, unloaded
    models; two packaged models not built yet by their names; a student's tokenizer is checked
    again when it is built)."""
    for i, student in enumerate(config.students):
        soft = student.soft_labels
        if soft is None:
            continue
        loc = ("students", i, "soft_labels", "over")
        if soft.over == "choices":
            bare = next((ex for ex in data.train if len(ex.choices or data.label_set or ()) < 2), None)
            if bare is not None:
                raise ConfigError(
                    f"soft labels over 'choices' compare distributions over the answer choices, but training "
                    f"example {bare.id!r} has none; use over: vocabulary, or a task with choices",
                    loc,
                )
            continue
        _check_vocabularies(config, texts, loc, console)


def _check_vocabularies(config: Config, texts: Sequence[str], loc: Loc, console: Console) -> None:
    """Teacher and student share one vocabulary (soft labels over the vocabulary)."""
    models = (config.teacher.model, config.student_model)
    cutters = [prompt_cutter(m, texts) for m in models]
    if any(cutter is None for cutter in cutters):  # a packaged model not built yet
        bases = [parse_spec(m.name).base for m in models]
        if all(spec_kind(parse_spec(m.name)) == "packaged" for m in models) and bases[0] != bases[1]:
            raise ConfigError(
                "soft labels over 'vocabulary' compare next-token distributions, but the packaged "
                f"models {bases[0]} (teacher) and {bases[1]} (student) have different vocabularies; "
                "use over: choices (the task's answer choices need no shared vocabulary)",
                loc,
            )
        where = ".".join(map(str, loc))
        _warn(console, f"{where}: the vocabularies are compared when the packaged model is built")
        return
    teacher, mine = (c.tokenizer for c in cutters if c is not None)
    if vocabulary_fingerprint(teacher) != vocabulary_fingerprint(mine):
        raise ConfigError(
            "soft labels over 'vocabulary' compare next-token distributions, but the teacher's tokenizer "
            f"({describe_tokenizer(config.teacher.model.name, teacher)}) and the student's "
            f"({describe_tokenizer(config.student_model.name, mine)}) have different vocabularies; "
            "use over: choices (the task's answer choices need no shared vocabulary)",
            loc,
        )


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
        _warn(
            console,
            f"{len(short):,} of {len(words):,} training inputs have fewer than k = {k} content words "
            f"({'.'.join(map(str, loc))}); their rationale is all of their words "
            f"(shortest: example {shortest!r}, {words[shortest]} words)",
        )


def _content_words(example: Example) -> int:
    return sum(len(example.text[start:end].split()) for start, end in example.content_spans)


def _check_machine(loc: Loc, model: ModelConfig, train: bool) -> None:
    """Settings this machine cannot honour (fp16 or quantization without CUDA, ...)."""
    try:
        check_machine(model, train=train)
    except ModelSpecError as err:
        raise ConfigError(str(err), (*loc, err.setting)) from None


def _check_lora(loc: Loc, model: ModelConfig, texts: Sequence[str]) -> None:
    """LoRA's target modules exist in the model (checked on its skeleton: no weights)."""
    if model.peft is None:
        return
    try:
        skeleton = model_skeleton(model, texts)
        if skeleton is not None:
            check_lora_targets(skeleton, model.peft)
    except ModelSpecError as err:
        raise ConfigError(str(err), (*loc, err.setting)) from None


def _check_lengths(
    loc: Loc, model: ModelConfig, texts: Sequence[str], data: TaskData, console: Console
) -> None:
    """Measure every input with ``model``'s tokenizer: report the ones ``truncation`` cuts,
    refuse them under ``truncation: error``."""
    key = ".".join(map(str, loc))
    try:
        cutter = prompt_cutter(model, texts)
    except ModelSpecError as err:
        raise ConfigError(str(err), (*loc, err.setting)) from None
    if cutter is None:
        _warn(console, f"input lengths not measured for {key}: {model.name} is built at its first use")
        return
    examples = [ex for split in SPLITS for ex in data.split(split)]
    lengths = cutter.lengths(label_prompts(examples, "standard"))
    over = [(n, ex) for n, ex in zip(lengths, examples, strict=True) if n > cutter.max_tokens]
    if not over:
        return
    n, longest = max(over, key=lambda item: item[0])
    what = (
        f"{len(over):,} of {len(examples):,} inputs have more tokens than {key}.max_prompt_tokens "
        f"({model.max_prompt_tokens}); the longest, example {longest.id!r}, has {n:,}"
    )
    if model.truncation == "error":
        raise ConfigError(
            f"{what}; raise max_prompt_tokens or choose left, right or middle", (*loc, "truncation")
        )
    _warn(console, f"{what}: they are cut by {key}.truncation = {model.truncation!r}")


def _warn(console: Console, message: str) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(message)}")
