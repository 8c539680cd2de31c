"""Student modes behind one registry: ``standard``, ``multitask`` (DSS), ``hints``, the
soft-label modes ``kd`` and ``kd-multitask``, and the guided modes ``guided-gradient``,
``guided-matching`` and ``guided-consistency`` (the teacher's marks shape the decision).

A new mode is one module (a ``StudentMode`` subclass: its options, rows, prompts, loss terms
and needs) plus one ``register_mode`` call; config validation, the CLI and the tests read
``list_modes()``. ``build_rows``, ``label_prompts`` and ``mode_options`` are the generic entry
points the stages use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tokendistill.registry import Registry
from tokendistill.tasks.example import Example
from tokendistill.training.modes.base import ModeOptions, Needs, StudentMode, TermInputs
from tokendistill.training.modes.guided_consistency import GuidedConsistency
from tokendistill.training.modes.guided_gradient import GuidedGradient
from tokendistill.training.modes.guided_matching import GuidedMatching
from tokendistill.training.modes.hints import Hints
from tokendistill.training.modes.kd import SoftLabels, SoftLabelsMultitask
from tokendistill.training.modes.multitask import Multitask
from tokendistill.training.modes.standard import Standard
from tokendistill.training.rows import TrainingRow

_MODES: Registry[StudentMode] = Registry("student mode")
register_mode = _MODES.register
unregister_mode = _MODES.unregister
list_modes = _MODES.names

for _mode in (
    Standard(),
    Multitask(),
    Hints(),
    SoftLabels(),
    SoftLabelsMultitask(),
    GuidedGradient(),
    GuidedMatching(),
    GuidedConsistency(),
):
    register_mode(_mode)


def get_mode(mode: str | StudentMode) -> StudentMode:
    """The registered mode ``mode`` (a mode instance is returned as it is)."""
    return mode if isinstance(mode, StudentMode) else _MODES.get(mode)


def template_texts() -> list[str]:
    """Every template string any registered mode adds to prompts, each once (modes that share
    their parent's prompts add nothing to a tokenizer's corpus)."""
    return list(dict.fromkeys(text for name in list_modes() for text in _MODES.get(name).template_texts))


def mode_options(
    mode: str | StudentMode, options: ModeOptions | Mapping[str, Any] | None = None
) -> ModeOptions:
    """``options`` as ``mode``'s options model (defaults filled in; a mapping is validated)."""
    impl = get_mode(mode)
    if isinstance(options, ModeOptions):
        return options
    return impl.options_model.model_validate(dict(options or {}))


def build_rows(
    examples: Iterable[Example],
    mode: str | StudentMode,
    *,
    rationales: Mapping[str, str] | None = None,
    teacher_labels: Mapping[str, str] | None = None,
    options: ModeOptions | Mapping[str, Any] | None = None,
) -> list[TrainingRow]:
    """Training rows of ``mode`` for every example.

    ``rationales`` (example id -> text) is required by modes that need one;
    ``teacher_labels`` (example id -> answer) replaces gold labels when given; ``options``
    are the mode's (its options model or a mapping of its keys; defaults when None).
    """
    impl = get_mode(mode)
    chosen = mode_options(impl, options)
    rows: list[TrainingRow] = []
    for ex in examples:
        label = (
            _lookup(teacher_labels, ex.id, "teacher_labels", impl) if teacher_labels is not None else ex.label
        )
        rationale = _lookup(rationales, ex.id, "rationales", impl) if impl.needs_rationale else None
        rows.extend(impl.rows(ex, label, rationale, chosen))
    return rows


def label_prompts(
    examples: Sequence[Example], mode: str | StudentMode, rationales: Mapping[str, str] | None = None
) -> list[str]:
    """The label-task prompt of every example; ``rationales`` (id -> text) where the mode
    reads one at inference."""
    impl = get_mode(mode)
    if impl.rationale_at_inference:
        return [impl.prompt(ex, _lookup(rationales, ex.id, "rationales", impl)) for ex in examples]
    return [impl.prompt(ex) for ex in examples]


def _lookup(table: Mapping[str, str] | None, key: str, name: str, mode: StudentMode) -> str:
    if table is None:
        raise ValueError(f"mode {mode.name!r} needs {name} (example id -> text), none were given")
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"{name} has no entry for example {key!r}") from None


__all__ = [
    "ModeOptions",
    "Needs",
    "StudentMode",
    "TermInputs",
    "build_rows",
    "get_mode",
    "label_prompts",
    "list_modes",
    "mode_options",
    "register_mode",
    "template_texts",
    "unregister_mode",
]
