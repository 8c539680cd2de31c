"""The bad-request corpus of ``export``, ``predict`` and ``explain`` (and the Hub upload):
every case is one thing a user can get wrong about a model folder, an output path or an
upload, run through the command line in process.

Like the run config's corpus (``tests/reliability/test_bad_inputs.py``), each must end with
exactly one line on stderr, ``error: <the expected line>``, exit status 2 and no traceback,
before any model is loaded (booby-trapped below) and without changing anything under its
temporary folder (the world: a copy of the demo's kept student, an inputs file, a file).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
from typer.testing import CliRunner

import tokendistill.inference.usage
import tokendistill.models.build
from demo_models import student_entry
from tokendistill.cli import app


@dataclass(frozen=True)
class World:
    tmp: Path
    run: Path  # the demo's run directory (read only)

    @property
    def model(self) -> Path:
        return self.tmp / "model"

    @property
    def inputs(self) -> Path:
        return self.tmp / "rows.jsonl"


@dataclass(frozen=True)
class Case:
    """One bad request: the command line (``{model}``, ``{tmp}``, ``{run}``, ``{inputs}``
    filled in), what breaks the world first, and the one line it must fail with."""

    id: str
    args: tuple[str, ...]
    expect: str
    damage: Callable[[World], None] | None = None
    env: dict[str, Any] = field(default_factory=dict)

    def fill(self, text: str, world: World) -> str:
        return text.format(model=world.model, tmp=world.tmp, run=world.run, inputs=world.inputs)


def _flip(offset: int) -> Callable[[World], None]:
    def damage(world: World) -> None:
        path = world.model / "model.safetensors"
        data = bytearray(path.read_bytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))

    return damage


def _truncate(world: World) -> None:
    path = world.model / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])


def _write(name: str, content: bytes) -> Callable[[World], None]:
    def damage(world: World) -> None:
        (world.model / name).write_bytes(content)

    return damage


def _remove(name: str) -> Callable[[World], None]:
    return lambda world: (world.model / name).unlink()


def _empty_model(world: World) -> None:
    shutil.rmtree(world.model)
    world.model.mkdir()


FIELDS = ("--text-field", "sentence", "--label-field", "label")
PREDICT = ("predict", "{model}", "--input", "{inputs}", *FIELDS)
EXPLAIN = ("explain", "{model}", "--input", "{inputs}", *FIELDS)
EXPORT = ("export", "{run}", "--student", "standard")
DAMAGED = "the folder is damaged"

CASES = [
    Case(
        "weights-header-overwritten",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model}/model.safetensors: not a readable safetensors file (Error while deserializing header: "
        f"invalid UTF-8 in header: invalid utf-8 sequence of 1 bytes from index 2); {DAMAGED}",
        damage=_flip(10),
    ),
    Case(
        "weights-header-length-overwritten",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model}/model.safetensors: not a readable safetensors file (Error while deserializing header: "
        f"header too large); {DAMAGED}",
        damage=_flip(5),
    ),
    Case(
        "weights-truncated",
        (*EXPLAIN, "--out", "{tmp}/explained"),
        "{model}/model.safetensors: not a readable safetensors file (Error while deserializing header: "
        f"incomplete metadata, file not fully covered); {DAMAGED}",
        damage=_truncate,
    ),
    Case(
        "config-not-json",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model}/config.json: the model's config is not readable JSON (Expecting property name enclosed in "
        f"double quotes: line 1 column 2 (char 1)); {DAMAGED}",
        damage=_write("config.json", b"{"),
    ),
    Case(
        "config-missing",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model} is not a model folder: it has no config.json",
        damage=_remove("config.json"),
    ),
    Case(
        "empty-model-folder",
        (*EXPLAIN, "--out", "{tmp}/explained"),
        "{model} is not a model folder: it has no config.json",
        damage=_empty_model,
    ),
    Case(
        "tokenizer-not-json",
        (*EXPLAIN, "--out", "{tmp}/explained"),
        "{model}/tokenizer.json: the tokenizer is not readable JSON (Expecting value: line 1 column 1 (char "
        f"0)); {DAMAGED}",
        damage=_write("tokenizer.json", b"xx"),
    ),
    Case(
        "manifest-not-json",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model}/tokendistill.json: Invalid JSON: EOF while parsing an object at line 1 column 1",
        damage=_write("tokendistill.json", b"{"),
    ),
    Case(
        "manifest-not-utf8",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        f"{{model}}/tokendistill.json: not UTF-8 text; {DAMAGED}",
        damage=_write("tokendistill.json", b"\xff\xfe"),
    ),
    Case(
        "manifest-field-missing",
        (*PREDICT, "--out", "{tmp}/p.jsonl"),
        "{model}/tokendistill.json: role: Field required",
        damage=lambda w: _drop_manifest_key(w, "role"),
    ),
    Case(
        "predict-out-is-a-folder", (*PREDICT, "--out", "{tmp}"), "--out {tmp} is a folder; give a file path"
    ),
    Case(
        "predict-out-under-a-file",
        (*PREDICT, "--out", "{tmp}/afile/p.jsonl"),
        "--out {tmp}/afile/p.jsonl cannot be written: {tmp}/afile is a file",
    ),
    Case(
        "explain-out-is-a-file",
        (*EXPLAIN, "--out", "{tmp}/afile"),
        "--out {tmp}/afile is a file; give a folder (it is created if needed)",
    ),
    Case(
        "explain-out-under-a-file",
        (*EXPLAIN, "--out", "{tmp}/afile/explained"),
        "--out {tmp}/afile/explained cannot be written: {tmp}/afile is a file",
    ),
    Case(
        "explain-unknown-method",
        (*EXPLAIN, "--method", "nope", "--out", "{tmp}/explained"),
        "unknown attribution method 'nope'; known: ['saliency', 'input_x_gradient', "
        "'integrated_gradients', 'attention', 'leave_one_out', 'random']",
    ),
    Case(
        "predict-input-missing",
        ("predict", "{model}", "--input", "{tmp}/none.jsonl", *FIELDS, "--out", "{tmp}/p.jsonl"),
        "{tmp}/none.jsonl: file not found",
    ),
    Case(
        "export-to-exists",
        (*EXPORT, "--to", "{tmp}/afile"),
        "{tmp}/afile already exists; export into a new folder",
    ),
    Case(
        "export-to-under-a-file",
        (*EXPORT, "--to", "{tmp}/afile/out"),
        "--to {tmp}/afile/out cannot be written: {tmp}/afile is a file",
    ),
    Case(
        "hub-repo-id-with-spaces",
        (*EXPORT, "--to", "{tmp}/out", "--push-to-hub", "bad repo name"),
        "--push-to-hub 'bad repo name' is not a Hub repository id: Repo id must use alphanumeric chars, "
        "'-', '_' or '.'. The name cannot start or end with '-' or '.' and the maximum length is 96: "
        "'bad repo name'",
        env={"HF_HUB_OFFLINE": False},
    ),
    Case(
        "hub-repo-id-with-three-parts",
        (*EXPORT, "--to", "{tmp}/out", "--push-to-hub", "a/b/c"),
        "--push-to-hub 'a/b/c' is not a Hub repository id: Repo id must be in the form 'repo_name' or "
        "'namespace/repo_name': 'a/b/c'. Use `repo_type` argument if needed",
        env={"HF_HUB_OFFLINE": False},
    ),
    Case(
        "hub-upload-offline",
        (*EXPORT, "--to", "{tmp}/out", "--push-to-hub", "me/model"),
        "cannot upload to me/model: HF_HUB_OFFLINE is set; unset it where there is network",
    ),
]


def _drop_manifest_key(world: World, key: str) -> None:
    path = world.model / "tokendistill.json"
    manifest = json.loads(path.read_text())
    del manifest[key]
    path.write_text(json.dumps(manifest))


def _no_load(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a model was loaded before the bad request was reported")


@pytest.fixture
def world(
    demo_run: Path, demo_index: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> World:
    """A copy of the demo's standard student, an inputs file and a plain file; model loading
    booby-trapped."""
    shutil.copytree(demo_run / student_entry(demo_index, "standard")["model"], tmp_path / "model")
    rows = [{"id": "a", "sentence": "the cat sat near the door", "label": "animal"}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "afile").write_text("x")
    for module in (tokendistill.inference.usage, tokendistill.models.build):
        monkeypatch.setattr(module, "load_adapter", _no_load)
    return World(tmp_path, demo_run)


def test_the_base_world_is_valid(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unbroken, the world gets as far as loading the model (the booby trap)."""
    result = CliRunner().invoke(
        app, [Case("", (), "").fill(a, world) for a in (*PREDICT, "--out", "{tmp}/p.jsonl")]
    )
    assert result.exit_code == 1 and "a model was loaded" in result.stderr, result.output


def test_the_corpus_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_request_fails_in_one_line_before_loading_anything(
    case: Case, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case.damage is not None:
        case.damage(world)
    for name, value in {"HF_HUB_OFFLINE": True, **case.env}.items():
        monkeypatch.setattr(huggingface_hub.constants, name, value)
    before = _snapshot(world.tmp)
    result = CliRunner().invoke(app, [case.fill(a, world) for a in case.args])
    assert result.stderr.splitlines() == [f"error: {case.fill(case.expect, world)}"], result.output
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert _snapshot(world.tmp) == before, "the failed command wrote or removed files"
