"""YAML in, validated config out: errors name the file, line, key and allowed values.

The YAML is read strictly: a key given twice in one mapping is an error (YAML loaders
otherwise keep the last value silently), and so is a file that is not UTF-8 text or an
override whose value is not YAML. Checks that run after validation (``preflight``) raise
``ConfigError`` with the key path of the value at fault; ``SourceMap.locate`` turns that
path back into the file and line, as for the validation errors themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tokendistill.errors import InputError

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class ConfigError(InputError):
    """A config that cannot be used; the message says where and why.

    ``loc`` is the key path of the value at fault (("teacher", "training", "eval_mode"))
    when the error was found after validation, so that it can still be located in the file.
    """

    def __init__(self, message: str, loc: Loc | None = None) -> None:
        super().__init__(message)
        self.loc = loc
        self.problem = message


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r} (first given at line {first})")
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in first and key != "<<":
                raise DuplicateKeyError(key, line, first[key])
            first[key] = line
        except TypeError:  # an unhashable key: the constructor below reports it
            break
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def strict_yaml(text: str, source: str) -> Any:
    """``text`` parsed as YAML (safe types only, no duplicate keys); ConfigError naming
    ``source`` and the line otherwise."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except DuplicateKeyError as exc:
        raise ConfigError(f"{source}, line {exc.line}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}, line {mark.line + 1}" if mark is not None else source
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError(f"{where}: not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None


@dataclass(frozen=True)
class SourceMap:
    """Where a config's values came from: the file, the line of every key path, and the
    key paths that ``--set`` overrode (those are on no line of the file)."""

    source: str = "<config>"
    lines: Mapping[tuple, int] = field(default_factory=dict)
    overridden: Sequence[tuple] = ()

    def where(self, loc: tuple) -> str:
        """``file, line N``, or ``file, from --set ...`` for a value an override gave."""
        cuts = (loc[:cut] for cut in range(len(loc), -1, -1))
        line = next((self.lines[c] for c in cuts if c in self.lines), None)
        where = f"{self.source}, line {line}" if line else self.source
        for path in self.overridden:
            if path and (loc[: len(path)] == path or (path[: len(loc)] == loc and loc not in self.lines)):
                where = f"{self.source}, from --set" + ("" if path == loc else f" {'.'.join(map(str, path))}")
        return where

    def describe(self, loc: tuple, message: str) -> str:
        key = ".".join(str(p) for p in loc) or "<root>"
        return f"{self.where(loc)}: {key}: {message}"

    def locate(self, err: ConfigError) -> ConfigError:
        """``err`` with its file and line when it carries a key path; as it is otherwise."""
        if err.loc is None:
            return err
        return ConfigError(_joined([self.describe(err.loc, err.problem)]), err.loc)


def _joined(problems: Sequence[str]) -> str:
    """One problem on one line; several as a header and one indented line each."""
    if len(problems) == 1:
        return f"invalid config: {problems[0]}"
    return "invalid config:\n  " + "\n  ".join(problems)


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

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return index


def _describe(error: dict, source: SourceMap) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see `tokendistill validate --help`)"
    return source.describe(tuple(error["loc"]), message)


def set_override(data: dict, assignment: str) -> None:
    """Apply one ``--set a.b.c=value`` override (value parsed as YAML) in place."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. selection.k=7")
    key, raw = assignment.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"--set {assignment!r}: {key.strip()!r} is not a key path like selection.k")
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
    value = strict_yaml(raw, f"--set {key}")
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"--set {key}: {parts[-2] if len(parts) > 1 else key!r} is not a section")


def load_located(path: Path, model: type[M], overrides: Sequence[str] = ()) -> tuple[M, SourceMap]:
    """Read ``path``, apply ``overrides`` and validate into ``model``; also returns where
    every value came from, to locate errors found later (``SourceMap.locate``).

    Raises ConfigError naming the file, the line, the key and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror})") from None
    data = strict_yaml(text, str(path))
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    for assignment in overrides:
        set_override(data, assignment)
    source = SourceMap(str(path), _line_index(text), [_key_path(a) for a in overrides])
    return _validate(data, model, source), source


def load_yaml_config(path: Path, model: type[M], overrides: Sequence[str] = ()) -> M:
    """``load_located`` without the source map."""
    return load_located(path, model, overrides)[0]


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
    return _validate(data, model, SourceMap(source, lines or {}, overridden))


def _validate(data: dict, model: type[M], source: SourceMap) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_joined([_describe(e, source) for e in exc.errors()])) from None
