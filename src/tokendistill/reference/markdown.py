"""``docs/config.md``: every key of a run config (and of a student's mode and rationale-source
options, and of a sweep) with its type, default, allowed values and one-line meaning, read
from the config models."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

HEADER = """\
# Config reference

Every key of a `tokendistill run` config, generated from the config models: do not edit by
hand; after changing a model, run `make docs` (or `python -m tokendistill.reference docs`),
which also rewrites the JSON Schemas next to this file. `tokendistill schema` prints the run
config's schema; presets name `config.schema.json` in their first line, so editors that read
`# yaml-language-server: $schema=...` complete and check keys. Unknown keys are errors.
"""
PARTS = {
    "run": "Run config",
    "modes": "Student options by mode (further keys of a `students` entry)",
    "sources": "Rationale source options (further keys of a student's `rationale`)",
    "sweep": "Sweep config (`tokendistill sweep`)",
}
_TYPE_NAMES = {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path", Any: "any"}


@dataclass
class _Section:
    part: str
    # Where the model sits: (key path, a note), e.g. ("students[]", "with mode `kd`").
    paths: list[tuple[str, str]] = field(default_factory=list)


def config_reference() -> str:
    """The whole reference as Markdown."""
    sections = _all_sections()
    out = [HEADER]
    for part, title in PARTS.items():
        out.append(f"\n## {title}\n")
        for model, section in sections.items():
            if section.part == part:
                out.append(_section_text(model, section.paths))
    return "".join(out)


def documented_models() -> list[type[BaseModel]]:
    """Every config model the reference documents (their fields are its rows)."""
    return list(_all_sections())


def _all_sections() -> dict[type[BaseModel], _Section]:
    """Every config model, in the order it is met, with the key paths where it sits."""
    from tokendistill.config import Config
    from tokendistill.rationales.sources import get_source, list_sources
    from tokendistill.sweep.config import SweepConfig
    from tokendistill.training.modes import get_mode, list_modes

    found: dict[type[BaseModel], _Section] = {}
    _walk(Config, ("", "Top level"), "run", found)
    for mode in list_modes():
        options = get_mode(mode).options_model
        if options.model_fields:
            _walk(options, ("students[]", f"with mode `{mode}`"), "modes", found)
    for name in list_sources():
        options = get_source(name).options_model
        if options is not None:
            _walk(options, ("students[].rationale", f"with source `{name}`"), "sources", found)
    _walk(SweepConfig, ("", "A sweep file"), "sweep", found)
    return found


def _walk(
    model: type[BaseModel], path: tuple[str, str], part: str, found: dict[type[BaseModel], _Section]
) -> None:
    seen = model in found
    paths = found.setdefault(model, _Section(part)).paths
    if path not in paths:
        paths.append(path)
    if seen:
        return
    for name, info in model.model_fields.items():
        key = f"{path[0]}.{name}" if path[0] else name
        for sub, many in _models_in(info.annotation):
            _walk(sub, (key + ("[]" if many else ""), ""), part, found)


def _models_in(annotation: Any, many: bool = False) -> list[tuple[type[BaseModel], bool]]:
    """The config models an annotation holds, each with whether it sits in a list."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [(annotation, many)]
    in_list = get_origin(annotation) in (list, tuple)
    return [found for arg in get_args(annotation) for found in _models_in(arg, many or in_list)]


def _section_text(model: type[BaseModel], paths: list[tuple[str, str]]) -> str:
    title = ", ".join(" ".join(filter(None, (f"`{key}`" if key else "", note))) for key, note in paths)
    lines = [f'\n<a id="{_anchor(model)}"></a>\n### {title}\n']
    doc = model.__dict__.get("__doc__")
    if doc:
        lines.append("\n" + _prose(doc) + "\n")
    lines.append("\n| key | type | default | allowed | meaning |\n|---|---|---|---|---|\n")
    for name, info in model.model_fields.items():
        cells = [f"`{name}`", _type(info.annotation), _default(info), _allowed(info), info.description or ""]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |\n")
    return "".join(lines)


def _anchor(model: type[BaseModel]) -> str:
    return model.__name__.lower()


def _prose(doc: str) -> str:
    """A docstring as Markdown: paragraphs on one line each, reST literals as code."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs).replace("``", "`")


def _type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type(args[0])
    if origin is Literal:
        return "choice"
    if origin in (Union, UnionType):
        names = [_type(arg) for arg in args if arg is not NoneType]
        return " or ".join(dict.fromkeys(names)) + (" or null" if NoneType in args else "")
    if origin in (list, tuple):
        return f"list of {_type(args[0])}"
    if origin is dict:
        return f"mapping of {_type(args[0])} to {_type(args[1])}"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"[section](#{_anchor(annotation)})"
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if isinstance(value, BaseModel):
        return "its defaults"
    return f"`{_value(value)}`"


def _value(value: Any) -> str:
    if isinstance(value, Path):
        return str(value)
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def _allowed(info: FieldInfo) -> str:
    """Literal values anywhere in the type, and the bounds on the value and on its items."""
    parts = [", ".join(f"`{_value(v)}`" for v in _literals(info.annotation))]
    parts.append(_bounds(info.metadata))
    parts.append(_inner_bounds(info.annotation))
    return "; ".join(part for part in parts if part)


def _literals(annotation: Any) -> list[Any]:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return [value for arg in get_args(annotation) for value in _literals(arg)]


def _inner_bounds(annotation: Any, in_list: bool = False) -> str:
    """Bounds an ``Annotated`` type inside the annotation puts on the value (or on each item)."""
    if get_origin(annotation) is Annotated:
        bounds = _bounds(get_args(annotation)[1:])
        return f"each {bounds}" if bounds and in_list else bounds
    in_list = in_list or get_origin(annotation) in (list, tuple)
    found = [_inner_bounds(arg, in_list) for arg in get_args(annotation)]
    return next((text for text in found if text), "")


def _bounds(metadata: Any) -> str:
    words = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            words.append(_bounds(item.metadata))
        for kind, sign, name in (
            (at.Ge, "≥", "ge"),
            (at.Gt, ">", "gt"),
            (at.Le, "≤", "le"),
            (at.Lt, "<", "lt"),
        ):
            if isinstance(item, kind):
                words.append(f"{sign} {getattr(item, name)}")
        if isinstance(item, at.MinLen):
            words.append(f"length ≥ {item.min_length}")
        if getattr(item, "pattern", None):
            words.append(f"matches `{item.pattern}`")
    return ", ".join(word for word in words if word)
