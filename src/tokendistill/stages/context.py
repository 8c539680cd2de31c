"""Run context: where artifacts live, how they are keyed, and how finished work is skipped.

Every artifact is a directory ``<run_dir>/<stage>/<name>-<key>`` that appears atomically,
with a ``DONE.json`` inside. The key is a hash of everything that determines the artifact
(its config slice, upstream keys, the artifact format version), so an unchanged stage is
skipped and a changed one is recomputed next to the old one. Work that must survive a kill
mid-stage (attribution parts, training checkpoints) lives in a sibling ``.work`` folder.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from tokendistill import __version__
from tokendistill.artifacts import atomic_dir, atomic_write_json, stable_hash

DONE = "DONE.json"
# Bump when an artifact's on-disk layout changes, so old caches are not misread.
# 3: teachers and students keep their model folder (with a card and tokendistill.json).
FORMAT_VERSION = 3


@dataclass(frozen=True)
class Artifact:
    stage: str
    name: str
    key: str
    path: Path

    @property
    def work_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".work")


@dataclass
class RunContext:
    run_dir: Path
    console: Console = field(default_factory=Console)
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)

    def artifact(self, stage: str, name: str, determinants: Any) -> Artifact:
        key = stable_hash({"determinants": determinants, "format": FORMAT_VERSION, "version": __version__})
        return Artifact(stage, name, key, self.run_dir / stage / f"{name}-{key}")

    def build(
        self,
        artifact: Artifact,
        produce: Callable[[Path, Path], dict | None],
        *,
        require: Collection[str] = (),
    ) -> Path:
        """Produce ``artifact`` unless it is already complete.

        ``produce(out_dir, work_dir)`` writes into a temporary ``out_dir`` (renamed into place
        when it returns) and may keep resumable state in ``work_dir``, which is deleted once
        the artifact is complete. It may return a small JSON summary kept in ``DONE.json``.
        ``require`` names entries the caller needs: a complete artifact from which one of
        them was pruned (see ``prune``) is produced again.
        """
        label = f"{artifact.stage}/{artifact.name}"
        if (artifact.path / DONE).is_file() and not set(require) & set(self.pruned(artifact)):
            self.skipped.append(label)
            self.timings[label] = float(self.done_info(artifact).get("seconds", 0.0))
            self.console.print(f"[dim]✓ {label} (cached)[/dim]")
            return artifact.path
        self.console.print(f"[bold]▶ {label}[/bold]")
        start = time.perf_counter()
        artifact.work_dir.mkdir(parents=True, exist_ok=True)
        if artifact.path.exists():  # incomplete, or lacking a required entry: stale
            shutil.rmtree(artifact.path)
        with atomic_dir(artifact.path) as out:
            summary = produce(out, artifact.work_dir) or {}
            seconds = time.perf_counter() - start
            atomic_write_json(out / DONE, {"seconds": seconds, "key": artifact.key, "summary": summary})
        shutil.rmtree(artifact.work_dir, ignore_errors=True)
        self.timings[label] = seconds
        self.computed.append(label)
        self.console.print(f"[green]✓ {label}[/green] [dim]{seconds:.1f}s[/dim]")
        return artifact.path

    def done_info(self, artifact: Artifact) -> dict:
        return json.loads((artifact.path / DONE).read_text())

    def pruned(self, artifact: Artifact) -> dict[str, str]:
        """Entries ``prune`` removed from the complete ``artifact`` (name -> reason)."""
        return dict(self.done_info(artifact).get("pruned", {}))

    def prune(self, artifact: Artifact, entry: str, reason: str) -> None:
        """Remove ``entry`` (a file or folder directly inside the complete ``artifact``) and
        record it, with ``reason``, under ``pruned`` in DONE.json.

        DONE.json is rewritten (atomically) before anything is deleted, so a kill in between
        leaves an artifact that says the entry is gone, never one that silently lacks it;
        ``build(..., require=...)`` then recomputes the artifact for a caller that needs it.
        """
        info = self.done_info(artifact)
        info["pruned"] = {**info.get("pruned", {}), entry: reason}
        atomic_write_json(artifact.path / DONE, info)
        target = artifact.path / entry
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
