"""The preflight's model checks: settings the machine cannot honour, LoRA targets, input
lengths under each model's tokenizer, and the vocabularies soft labels compare; all without
loading any weights. Problems raise ``ConfigError`` with the key path of the value at fault."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import ConfigError, Loc
from tokendistill.errors import ModelSpecError
from tokendistill.models.build import model_skeleton, prompt_cutter
from tokendistill.models.config import ModelConfig
from tokendistill.models.lora import check_lora_targets
from tokendistill.models.precision import check_machine
from tokendistill.preflight.report import SPLITS, warn
from tokendistill.tasks import TaskData
from tokendistill.training.modes import get_mode, label_prompts
from tokendistill.training.soft_targets import describe_tokenizer, vocabulary_fingerprint


def check_model(
    loc: Loc, model: ModelConfig, train: bool, texts: Sequence[str], data: TaskData, console: Console
) -> None:
    """Every check of one model: the machine, the input lengths and (when trained) LoRA."""
    _check_machine(loc, model, train)
    _check_lengths(loc, model, texts, data, console)
    if train:
        _check_lora(loc, model, texts)


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
        warn(console, f"input lengths not measured for {key}: {model.name} is built at its first use")
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
    warn(console, f"{what}: they are cut by {key}.truncation = {model.truncation!r}")


def check_soft_labels(config: Config, data: TaskData, texts: Sequence[str], console: Console) -> None:
    """A soft-label student compares distributions the teacher and it can both give: answer
    choices for every training example, or one vocabulary (told by the tokenizers, unloaded
    models; two packaged models not built yet by their names; a student's tokenizer is checked
    again when it is built)."""
    for i, student in enumerate(config.students):
        soft = get_mode(student.mode).needs(student.options).distributions
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
        if soft.match == "tokens":
            _check_vocabularies(config, texts, loc, console)


def _check_vocabularies(config: Config, texts: Sequence[str], loc: Loc, console: Console) -> None:
    """Teacher and student share one vocabulary (soft labels over the vocabulary)."""
    models = (config.teacher.model, config.student_model)
    cutters = [prompt_cutter(m, texts) for m in models]
    if any(cutter is None for cutter in cutters):  # a packaged model not built yet
        bases = [m.spec.base for m in models]
        if all(m.kind == "packaged" for m in models) and bases[0] != bases[1]:
            raise ConfigError(
                "soft labels over 'vocabulary' compare next-token distributions, but the packaged "
                f"models {bases[0]} (teacher) and {bases[1]} (student) have different vocabularies; "
                "use over: choices (the task's answer choices need no shared vocabulary), "
                "match: aligned or sorted",
                loc,
            )
        where = ".".join(map(str, loc))
        warn(console, f"{where}: the vocabularies are compared when the packaged model is built")
        return
    teacher, mine = (c.tokenizer for c in cutters if c is not None)
    if vocabulary_fingerprint(teacher) != vocabulary_fingerprint(mine):
        raise ConfigError(
            "soft labels over 'vocabulary' compare next-token distributions, but the teacher's tokenizer "
            f"({describe_tokenizer(config.teacher.model.name, teacher)}) and the student's "
            f"({describe_tokenizer(config.student_model.name, mine)}) have different vocabularies; "
            "use over: choices (the task's answer choices need no shared vocabulary), "
            "match: aligned or sorted",
            loc,
        )
