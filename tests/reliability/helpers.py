"""The bad-input corpus's world: a small valid config over a config-defined task, the data
files it reads, one command line run in process, and a snapshot of everything on disk."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tokendistill.cli import app
from tokendistill.config_io import _line_index

DELETE = object()  # a `set` value that removes the key
CONFIG_COMMANDS = ("run", "validate", "prepare", "teacher", "attribute", "students")


def rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": f"r{start + i}",
            "question": f"is the number {start + i} even or odd in this short list of words",
            "answer": "even" if (start + i) % 2 == 0 else "odd",
        }
        for i in range(n)
    ]


def jsonl(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def base_files() -> dict[str, str | bytes]:
    return {"train.jsonl": jsonl(rows(20)), "test.jsonl": jsonl(rows(6, start=100))}


def base_config(tmp: Path) -> dict[str, Any]:
    """Valid: every case below breaks exactly one thing of it."""
    tiny = {"name": "tiny-causal", "tiny_size": 16, "tiny_layers": 1}
    training = {"eval_mode": "rank"}
    return {
        "run_dir": str(tmp / "run"),
        "tracking": {"report_to": "none"},
        "seeds": [0],
        "task": {
            "name": "mine",
            "data_dir": str(tmp / "data"),
            "custom": {
                "train_file": "train.jsonl",
                "test_file": "test.jsonl",
                "input_template": "Question: {question}",
                "label_field": "answer",
                "label_set": ["even", "odd"],
                "id_field": "id",
            },
        },
        "teacher": {"model": dict(tiny), "training": dict(training)},
        "attribution": {"methods": ["saliency"]},
        "selection": {"k": 2},
        "student_model": dict(tiny),
        "student_training": dict(training),
        "students": [
            {"name": "standard", "mode": "standard"},
            {
                "name": "ours",
                "mode": "multitask",
                "rationale": {"source": "attribution", "method": "saliency"},
            },
        ],
        "analysis": {"k_sweep": [1, 2]},
    }


def assign(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set (or, with DELETE, remove) the value at a dotted key path ("students.1.name")."""
    *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    node: Any = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


@dataclass(frozen=True)
class World:
    """Where a case runs: its temporary folder, config file (and text) and data folder."""

    tmp: Path
    config: Path
    text: str

    @property
    def data(self) -> Path:
        return self.tmp / "data"

    @property
    def run(self) -> Path:
        return self.tmp / "run"

    def line(self, dotted: str) -> int:
        """The config file's line of a key path ("teacher.model.name")."""
        path = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
        return _line_index(self.text)[path]

    def first_line(self, prefix: str) -> int:
        return 1 + next(i for i, text in enumerate(self.text.splitlines()) if text.startswith(prefix))


@dataclass(frozen=True)
class Case:
    """One bad input: how it breaks the base world, and the one line it must fail with.

    ``expect`` is a template: ``{config}``, ``{tmp}``, ``{data}``, ``{run}`` and
    ``{line[key.path]}`` (the config line of a key) are filled in from the world.
    """

    id: str
    expect: str | Callable[[World], str]
    set: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, str | bytes | None] = field(default_factory=dict)
    command: str = "run"
    args: tuple[str, ...] = ()
    text: Callable[[str], str] | None = None
    setup: Callable[[Path], None] | None = None

    def build(self, tmp: Path) -> tuple[World, list[str]]:
        """Write the world's files; the command line to run."""
        data = base_config(tmp)
        for key, value in self.set.items():
            assign(data, key, value)
        text = yaml.safe_dump(data, sort_keys=False).replace("{tmp}", str(tmp))
        if self.text is not None:
            text = self.text(text)
        config = tmp / "config.yaml"
        config.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        (tmp / "data").mkdir()
        for name, content in {**base_files(), **self.files}.items():
            if content is None:
                continue
            path = tmp / "data" / name
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        if self.setup is not None:
            self.setup(tmp)
        world = World(tmp, config, text)
        args = [a.format(tmp=tmp, data=world.data, config=config) for a in self.args]
        return world, [self.command, *([str(config)] if self.command in CONFIG_COMMANDS else []), *args]

    def expected(self, world: World) -> str:
        if callable(self.expect):
            return self.expect(world)
        return self.expect.format(
            config=world.config, tmp=world.tmp, data=world.data, run=world.run, line=_Lines(world)
        )


class _Lines:
    def __init__(self, world: World) -> None:
        self.world = world

    def __getitem__(self, dotted: str) -> int:
        return self.world.line(dotted)


def write_artifact(path: Path) -> None:
    """A valid attribution artifact of one example."""
    from tokendistill.attribution.result import TokenAttribution
    from tokendistill.attribution.store import write_attributions

    text = "which pet barks"
    record = TokenAttribution(
        example_id="0", split="train", text=text, tokens=text.split(), offsets=[(0, 5), (6, 9), (10, 15)],
        content=[True] * 3, scores=[0.1, 0.2, 0.9], target="dog", teacher_answer="dog", gold="dog",
        teacher_correct=True,
    )  # fmt: skip
    write_attributions(path, [record], {"method": "saliency"})


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under ``root``."""
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


def invoke(args: list[str]) -> tuple[int, str, str]:
    """``tokendistill ARGS`` in process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr
