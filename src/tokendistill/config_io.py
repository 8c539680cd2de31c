"""YAML in, validated config out: errors name the file, line, key and allowed values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A config that cannot be used; the message says where and why."""


def _line_index(text: str) -> dict[tuple, int]:
    """Map key paths (("students", 2, "mode")) to 1-based line numbers in the YAML text."""
    index: dict[tuple, int] = {}

    def walk(node, path: tuple) -> None:
        index.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                index[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return index


def _describe(error: dict, source: str, lines: dict[tuple, int], overridden: Sequence[tuple] = ()) -> str:
    loc = tuple(error["loc"])
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            line = lines[loc[:cut]]
            break
    key = ".".join(str(p) for p in loc) or "<root>"
    where = f"{source}, line {line}" if line else source
    # A value that came from --set (or a section an override created) is on no line of the
    # file: name the override instead.
    for path in overridden:
        if path and (loc[: len(path)] == path or (path[: len(loc)] == loc and loc not in lines)):
            where = f"{source}, from --set" + ("" if path == loc else f" {'.'.join(str(p) for p in path)}")
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see `tokendistill validate --help`)"
    return f"{where}: {key}: {message}"


def set_override(data: dict, assignment: str) -> None:
    """Apply one ``--set a.b.c=value`` override (value parsed as YAML) in place."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. selection.k=7")
    key, raw = assignment.split("=", 1)
    parts = key.strip().split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if isinstance(node, list):
            raise ConfigError(f"--set {key}: {'.'.join(parts[:i])} has {len(node)} item(s), no item {part!r}")
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: {part!r} is not a section")
        node = node.setdefault(part, {})
    last = parts[-1]
    value = yaml.safe_load(raw)
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {key}: {parts[-2] if len(parts) > 1 else key!r} is not a section")


def load_yaml_config(path: Path, model: type[M], overrides: Sequence[str] = ()) -> M:
    """Read ``path``, apply ``overrides`` and validate into ``model``.

    Raises ConfigError naming the file, the line, the key and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    for assignment in overrides:
        set_override(data, assignment)
    overridden = [_key_path(a) for a in overrides]
    return validate_config(data, model, source=str(path), lines=_line_index(text), overridden=overridden)


def _key_path(assignment: str) -> tuple:
    """``students.1.mode=x`` -> ("students", 1, "mode"), the shape of a pydantic error loc."""
    key = assignment.split("=", 1)[0].strip()
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def validate_config(
    data: dict,
    model: type[M],
    *,
    source: str = "<config>",
    lines=None,
    overridden: Sequence[tuple] = (),
) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e, source, lines or {}, overridden) for e in exc.errors()]
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems)) from None
