"""Finished artifacts record what they hold; a damaged one is found and recomputed, and so
is what was built from an earlier version of it. Deleting files on purpose is recorded."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from tokendistill.runtime import integrity
from tokendistill.runtime.context import DONE, Artifact, RunContext


def context(run_dir: Path) -> RunContext:
    return RunContext(run_dir, Console(file=io.StringIO(), width=300))


def printed(ctx: RunContext) -> str:
    return ctx.console.file.getvalue()  # type: ignore[attr-defined]


def writer(content: bytes, calls: list[str]) -> Callable[[Path, Path], dict]:
    def produce(out: Path, _work: Path) -> dict:
        calls.append("produce")
        (out / "data.bin").write_bytes(content)
        (out / "model").mkdir()
        (out / "model" / "weights.bin").write_bytes(b"w" * 100)
        return {}

    return produce


def build(run_dir: Path, calls: list[str], content: bytes = b"0123456789") -> tuple[RunContext, Artifact]:
    ctx = context(run_dir)
    artifact = ctx.artifact("stage", "thing", {"x": 1})
    ctx.build(artifact, writer(content, calls))
    return ctx, artifact


def test_done_lists_every_file_with_size_and_checksum(tmp_path: Path) -> None:
    _, artifact = build(tmp_path, [])
    done = json.loads((artifact.path / DONE).read_text())
    assert done["files"] == {
        "data.bin": {"size": 10, "sha256": integrity.sha256_of(artifact.path / "data.bin")},
        "model/weights.bin": {
            "size": 100,
            "sha256": integrity.sha256_of(artifact.path / "model/weights.bin"),
        },
    }
    assert done["digest"] == integrity.content_digest(done["files"]) and done["upstream"] == {}


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (
            lambda a: _flip_one_byte(a / "data.bin"),
            "data.bin differs from what was written (checksum mismatch)",
        ),
        (
            lambda a: (a / "data.bin").write_bytes(b"01234"),
            "data.bin has 5 bytes, not the 10 it was written with",
        ),
        (lambda a: (a / "model" / "weights.bin").unlink(), "model/weights.bin is missing"),
        (lambda a: (a / DONE).write_text('{"files": {'), "DONE.json is unreadable"),
        (lambda a: (a / DONE).write_text('{"key": "k"}'), "DONE.json is not a complete record"),
    ],
    ids=["one-byte", "truncated", "missing", "done-truncated", "done-incomplete"],
)
def test_a_damaged_artifact_is_recomputed_in_the_next_run(
    tmp_path: Path, damage: Callable[[Path], object], says: str
) -> None:
    calls: list[str] = []
    _, artifact = build(tmp_path, calls)
    original = {p.name: p.read_bytes() for p in artifact.path.rglob("*.bin")}
    damage(artifact.path)
    ctx, again = build(tmp_path, calls)
    assert calls == ["produce", "produce"]
    assert ctx.repaired == ["stage/thing"] and ctx.computed == ["stage/thing"]
    line = printed(ctx).splitlines()[0]
    assert line.startswith(f"! stage/thing: {artifact.path}/") or line.startswith(
        f"! stage/thing: {artifact.path}"
    )
    assert says in line and line.endswith("; recomputing it")
    assert {p.name: p.read_bytes() for p in again.path.rglob("*.bin")} == original


def test_an_intact_artifact_is_checked_once_per_run_and_reused(tmp_path: Path) -> None:
    calls: list[str] = []
    build(tmp_path, calls)
    ctx = context(tmp_path)
    artifact = ctx.artifact("stage", "thing", {"x": 1})
    ctx.build(artifact, writer(b"", calls))
    # Once checked in this run, only sizes are checked: a same-size change goes unseen
    # within the run, and is found by the next one.
    _flip_one_byte(artifact.path / "data.bin")
    ctx.build(artifact, writer(b"", calls))
    assert calls == ["produce"] and ctx.skipped == ["stage/thing", "stage/thing"]
    next_run, _ = build(tmp_path, calls)
    assert next_run.repaired == ["stage/thing"]


def test_what_was_built_from_a_recomputed_artifact_is_recomputed(tmp_path: Path) -> None:
    """Recomputing gave other content (here: other bytes), so the downstream artifact,
    built from the earlier content, is stale although its key did not change."""
    calls: list[str] = []

    def use(out: Path, _work: Path) -> None:
        (out / "x").write_text("y")

    def run(content: bytes) -> RunContext:
        ctx, upstream = build(tmp_path, calls, content)
        ctx.build(ctx.artifact("later", "user", {"upstream": upstream.key}, upstream=[upstream]), use)
        return ctx

    first = run(b"0123456789")
    assert first.computed == ["stage/thing", "later/user"]
    (artifact,) = (tmp_path / "stage").glob("thing-*")
    (artifact / "data.bin").write_bytes(b"damaged")
    second = run(b"9876543210")
    assert second.repaired == ["stage/thing", "later/user"]
    assert "it was built from an earlier stage/thing, recomputed since" in printed(second)
    third = run(b"9876543210")
    assert third.computed == [] and third.repaired == []


def test_files_deleted_on_purpose_are_recorded_and_accepted(tmp_path: Path) -> None:
    calls: list[str] = []
    ctx, artifact = build(tmp_path, calls)
    digest = ctx.done_info(artifact)["digest"]
    for path in (artifact.path / "model").iterdir():
        path.unlink()
    (artifact.path / "model").rmdir()
    ctx.rewrite_done(artifact, lambda done: integrity.without(done, "model"))
    done = ctx.done_info(artifact)
    assert list(done["files"]) == ["data.bin"] and done["pruned"] == ["model"] and done["digest"] == digest
    next_run, _ = build(tmp_path, calls)
    assert calls == ["produce"] and next_run.skipped == ["stage/thing"]


def test_upstream_is_what_the_stage_names_not_what_its_determinants_mention(tmp_path: Path) -> None:
    """``upstream`` takes artifacts or keys; a key among the determinants that is not named
    upstream (a content hash that happens to look like one) links nothing."""
    ctx, upstream = build(tmp_path, [])
    by_key = ctx.artifact("later", "user", {"upstream": upstream.key}, upstream=[upstream.key])
    by_artifact = ctx.artifact("later", "user", {"upstream": upstream.key}, upstream=[upstream])
    unnamed = ctx.artifact("later", "user", {"upstream": upstream.key})
    assert by_key.upstream == by_artifact.upstream == {upstream.key: ctx.done_info(upstream)["digest"]}
    assert by_key.key == by_artifact.key == unnamed.key and unnamed.upstream == {}
