"""``RunContext.prune``: an entry leaves a complete artifact, DONE.json says so, and
``build(require=...)`` produces the artifact again only for a caller that needs the entry."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from tokendistill.runtime import integrity
from tokendistill.runtime.context import DONE, RunContext


def _produce(out: Path, _work: Path) -> dict:
    (out / "model").mkdir()
    (out / "model" / "weights").write_text("w")
    (out / "metrics.json").write_text("{}")
    return {"n": 1}


def test_prune_records_the_entry_and_require_recomputes(tmp_path: Path) -> None:
    ctx = RunContext(tmp_path, Console(file=io.StringIO()))
    artifact = ctx.artifact("students", "s-seed0", {"a": 1})
    ctx.build(artifact, _produce)
    ctx.prune(artifact, "model", "keep_models: best")

    done = json.loads((artifact.path / DONE).read_text())
    assert done["pruned"] == ["model"] and done["pruned_reasons"] == {"model": "keep_models: best"}
    assert done["summary"] == {"n": 1} and not any(f.startswith("model/") for f in done["files"])
    assert integrity.problem(artifact.path, done, checksum=True) is None  # still intact
    assert not (artifact.path / "model").exists() and (artifact.path / "metrics.json").is_file()
    assert ctx.pruned(artifact) == {"model": "keep_models: best"}

    ctx.build(artifact, _produce)  # nothing required: the pruned artifact is complete
    assert ctx.computed == ["students/s-seed0"] and ctx.skipped == ["students/s-seed0"]
    ctx.build(artifact, _produce, require=("model",))
    assert ctx.computed == ["students/s-seed0"] * 2
    assert (artifact.path / "model" / "weights").is_file() and ctx.pruned(artifact) == {}


def test_prune_is_idempotent_and_removes_files_too(tmp_path: Path) -> None:
    ctx = RunContext(tmp_path, Console(file=io.StringIO()))
    artifact = ctx.artifact("students", "s-seed0", {"a": 1})
    ctx.build(artifact, _produce)
    ctx.prune(artifact, "metrics.json", "not needed")
    ctx.prune(artifact, "metrics.json", "not needed")
    assert not (artifact.path / "metrics.json").exists()
    assert ctx.pruned(artifact) == {"metrics.json": "not needed"}
