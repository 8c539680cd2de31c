"""Run context: where artifacts live, how they are keyed, and how finished work is skipped.

Every artifact is a directory ``<run_dir>/<stage>/<name>-<key>`` that appears atomically,
with a ``DONE.json`` inside. The key is a hash of everything that determines the artifact
(its config slice, upstream keys, the artifact format version), so an unchanged stage is
skipped and a changed one is recomputed next to the old one. A stage names the artifacts
its own is built from (``upstream``) when it keys it; their keys are among its determinants.
Work that must survive a kill mid-stage (attribution parts, training checkpoints) lives in a
sibling ``.work`` folder, removed again when a failed stage leaves it empty.

The run directory is a sandbox: stage and artifact names are plain names, and every
artifact path must resolve inside ``run_dir`` (no ``..``, no symlink out). ``DONE.json``
records every file's size and checksum (``integrity.py``) and the content digests of the
artifacts this one was built from; a reused artifact whose files differ from the record,
or whose upstream was recomputed with different content since, is recomputed.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from tokendistill import __version__
from tokendistill.distributed import ProcessState, broadcast, default_state
from tokendistill.errors import InputError
from tokendistill.runtime import integrity
from tokendistill.runtime.files import atomic_dir, atomic_write_json, stable_hash
from tokendistill.runtime.integrity import DONE
from tokendistill.tracking.run import NO_TRACKER, TrackerRun

# Bump when an artifact's on-disk layout changes, so old caches are not misread.
# 3: teachers and students keep their model folder (with a card and tokendistill.json);
# DONE.json lists every file's size and checksum.
FORMAT_VERSION = 3
# One path component: no slash, and no dot first (never "..", never hidden).
_PLAIN_NAME = re.compile(r"^(?!\.)[A-Za-z0-9_.@=+-]{1,200}$")


class UnsafePath(InputError):
    """An artifact name or path that would leave the run directory."""


@dataclass(frozen=True)
class Artifact:
    stage: str
    name: str
    key: str
    path: Path
    # key -> content digest of the artifacts this one is built from, when it was keyed
    upstream: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def work_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".work")


def inside(root: Path, path: Path) -> Path:
    """``path`` if it resolves (symlinks followed) to a place inside ``root``; else UnsafePath."""
    resolved, base = path.resolve(), root.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"{path} resolves to {resolved}, outside the run directory {root}")
    return path


@dataclass
class RunContext:
    run_dir: Path
    console: Console = field(default_factory=Console)
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    state: ProcessState = field(default_factory=default_state)
    # The run's experiment trackers (the pipeline opens them; none by default).
    tracker: TrackerRun = NO_TRACKER
    _digests: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (label, digest)
    _verified: set[Path] = field(default_factory=set)

    def artifact(
        self, stage: str, name: str, determinants: Any, upstream: Iterable[Artifact | str] = ()
    ) -> Artifact:
        """The artifact ``name`` of ``stage``, keyed by ``determinants``; ``upstream``: the
        artifacts (or their keys) it is built from, whose keys the determinants contain. It
        is stale, and computed again, once one of them is recomputed with other content."""
        for part in (stage, name):
            if not _PLAIN_NAME.match(part):
                raise UnsafePath(
                    f"artifact name {part!r} is not a plain name (letters, digits and _.@=+-, not "
                    f"starting with a dot): it must be one folder inside {self.run_dir}"
                )
        key = stable_hash({"determinants": determinants, "format": FORMAT_VERSION, "version": __version__})
        path = inside(self.run_dir, self.run_dir / stage / f"{name}-{key}")
        keys = {item if isinstance(item, str) else item.key for item in upstream}
        digests = {k: digest for k, (_, digest) in self._digests.items() if k in keys}
        return Artifact(stage, name, key, path, digests)

    @property
    def is_main(self) -> bool:
        """Whether this is the process that writes (the only one, unless launched with several)."""
        return self.state.is_main_process

    def build(
        self,
        artifact: Artifact,
        produce: Callable[[Path, Path], dict | None],
        *,
        require: Collection[str] = (),
        collective: bool = False,
    ) -> Path:
        """Produce ``artifact`` unless it is already complete and intact.

        ``produce(out_dir, work_dir)`` writes into a temporary ``out_dir`` (renamed into place
        when it returns) and may keep resumable state in ``work_dir``, which is deleted once
        the artifact is complete (or, when ``produce`` fails, if it is empty). It may return
        a small JSON summary kept in ``DONE.json``. ``require`` names entries the caller
        needs: a complete artifact from which one of them was pruned (see ``prune``) is
        produced again.

        Under several processes the main one decides whether the artifact is reusable and
        tells the others; ``collective`` stages (training, attribution) run ``produce`` on
        every process, which must then write only where ``is_main`` (or through
        rank-aware writers); other stages run it on the main process while the rest wait.
        Only the main process writes DONE.json and renames the artifact into place.
        """
        label = f"{artifact.stage}/{artifact.name}"
        done = broadcast(self._decide(artifact, label, require), self.state)
        if done is not None:
            self._digests[artifact.key] = (label, done["digest"])
            self.skipped.append(label)
            self.timings[label] = float(done.get("seconds", 0.0))
            self.console.print(f"[dim]✓ {label} (cached)[/dim]")
            return artifact.path
        self.console.print(f"[bold]▶ {label}[/bold]")
        start = time.perf_counter()
        if self.is_main:
            artifact.work_dir.mkdir(parents=True, exist_ok=True)
            if artifact.path.exists():  # incomplete, damaged, or lacking a required entry: stale
                shutil.rmtree(artifact.path)
        self.state.wait_for_everyone()
        digest = self._produce(artifact, produce, collective, start)
        self._digests[artifact.key] = (label, digest)
        self._verified.add(artifact.path)
        self.timings[label] = time.perf_counter() - start
        self.computed.append(label)
        self.console.print(f"[green]✓ {label}[/green] [dim]{self.timings[label]:.1f}s[/dim]")
        return artifact.path

    def _decide(self, artifact: Artifact, label: str, require: Collection[str]) -> dict | None:
        """The main process's verdict: the DONE record to reuse, or None to produce."""
        if not self.is_main:
            return None
        done = self._reusable(artifact, label)
        if done is not None and set(require) & set(done.get("pruned", [])):
            return None
        return done

    def _produce(
        self, artifact: Artifact, produce: Callable[[Path, Path], dict | None], collective: bool, start: float
    ) -> str:
        """Run ``produce`` where it runs, publish the artifact from the main process, and
        return its content digest (the same on every process)."""
        digest = ""
        try:
            if self.is_main:
                with atomic_dir(artifact.path) as out:
                    broadcast(out, self.state)
                    summary = produce(out, artifact.work_dir) or {}
                    self.state.wait_for_everyone()
                    files = integrity.file_list(out)
                    digest = integrity.content_digest(files)
                    record = {"seconds": time.perf_counter() - start, "key": artifact.key, "summary": summary}
                    done = {**record, "files": files, "digest": digest, "upstream": artifact.upstream}
                    atomic_write_json(out / DONE, done)
            else:
                out = broadcast(None, self.state)
                if collective:
                    produce(out, artifact.work_dir)
                self.state.wait_for_everyone()
        except BaseException:
            if self.is_main:
                _remove_if_empty(artifact.work_dir)
                _remove_if_empty(artifact.path.parent)
            raise
        self.state.wait_for_everyone()  # the artifact is in place for everyone
        if self.is_main:
            shutil.rmtree(artifact.work_dir, ignore_errors=True)
        return broadcast(digest, self.state)

    def _reusable(self, artifact: Artifact, label: str) -> dict | None:
        """The artifact's DONE record if it is complete and intact (checksums checked the
        first time in this run); None, after saying why, if it must be (re)computed."""
        done_path = artifact.path / DONE
        if not done_path.is_file():
            return None
        try:
            done = json.loads(done_path.read_text(encoding="utf-8"))
            checksum = artifact.path not in self._verified
            why = integrity.problem(artifact.path, done, checksum=checksum) or self._stale(done)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            why = f"{done_path} is unreadable"
        if why is None:
            self._verified.add(artifact.path)
            return done
        self.console.print(f"[yellow]! {label}: {why}; recomputing it[/yellow]")
        self.repaired.append(label)
        return None

    def _stale(self, done: dict) -> str | None:
        for key, digest in done["upstream"].items():
            label, current = self._digests.get(key, ("", digest))
            if current != digest:
                return f"it was built from an earlier {label}, recomputed since"
        return None

    def done_info(self, artifact: Artifact) -> dict:
        return json.loads((artifact.path / DONE).read_text(encoding="utf-8"))

    def rewrite_done(self, artifact: Artifact, change: Callable[[dict], dict]) -> None:
        """Replace a finished artifact's DONE.json with ``change(record)``, atomically: how a
        deliberate change to a finished artifact keeps its record true (see ``prune``)."""
        atomic_write_json(artifact.path / DONE, change(self.done_info(artifact)))

    def pruned(self, artifact: Artifact) -> dict[str, str]:
        """Entries ``prune`` removed from the complete ``artifact`` (name -> reason)."""
        done = self.done_info(artifact)
        reasons = done.get("pruned_reasons", {})
        return {entry: reasons.get(entry, "") for entry in done.get("pruned", [])}

    def prune(self, artifact: Artifact, entry: str, reason: str) -> None:
        """Remove ``entry`` (a file or folder directly inside the complete ``artifact``) and
        record it, with ``reason``, in DONE.json: its files leave the integrity record, the
        artifact's digest stays (nothing built from it goes stale).

        DONE.json is rewritten (atomically) before anything is deleted, so a kill in between
        leaves an artifact that says the entry is gone, never one that silently lacks it;
        ``build(..., require=...)`` then recomputes the artifact for a caller that needs it.
        """

        def record(done: dict) -> dict:
            reasons = {**done.get("pruned_reasons", {}), entry: reason}
            return {**integrity.without(done, entry), "pruned_reasons": reasons}

        if self.is_main:
            self.rewrite_done(artifact, record)
            target = artifact.path / entry
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        self.state.wait_for_everyone()


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()  # only succeeds when empty
