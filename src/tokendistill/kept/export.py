"""``export``: copy a kept student (best seed on validation by default) out of a run directory.

The run's ``models.json`` (written by the students stage) lists every student and seed with
its kept model folder; the copy carries the folder's model card and ``tokendistill.json``,
so it can be used with ``predict``/``explain`` or uploaded to the Hub as it is.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tokendistill.errors import DeployError
from tokendistill.kept import hub
from tokendistill.kept.checks import check_hub_upload, check_output_folder
from tokendistill.kept.manifest import MODEL_INDEX
from tokendistill.runtime.files import atomic_dir


def export(
    run_dir: str | os.PathLike[str],
    student: str,
    *,
    to: str | os.PathLike[str],
    seed: int | None = None,
    push_to_hub: str | None = None,
    private: bool | None = None,
) -> Path:
    """Copy student ``student``'s model (``seed``, or the best seed on validation) to the new
    folder ``to``; upload it to the Hub repository ``push_to_hub`` when given. Returns ``to``."""
    source = kept_model(run_dir, student, seed)
    target = Path(to)
    if target.exists():
        raise DeployError(f"{target} already exists; export into a new folder")
    check_output_folder(target, "--to")
    if push_to_hub is not None:  # before anything is copied
        check_hub_upload(push_to_hub)
    with atomic_dir(target) as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
    if push_to_hub is not None:
        hub.push_to_hub(target, push_to_hub, private=private)
    return target


def kept_model(run_dir: str | os.PathLike[str], student: str, seed: int | None = None) -> Path:
    """The kept model folder of ``student`` (``seed``, default: the best seed on validation)."""
    run = Path(run_dir)
    path = run / MODEL_INDEX
    if not path.is_file():
        raise DeployError(f"{path}: not found; run the pipeline up to the students stage first")
    index = json.loads(path.read_text(encoding="utf-8"))
    entries = [e for e in index["students"] if e["name"] == student]
    if not entries:
        names = sorted({e["name"] for e in index["students"]})
        raise DeployError(f"{path}: no student {student!r}; students: {names}")
    chosen = [e for e in entries if (e["seed"] == seed if seed is not None else e["best_seed"])]
    if not chosen:
        seeds = [e["seed"] for e in entries]
        raise DeployError(f"{path}: student {student!r} has no seed {seed}; seeds: {seeds}")
    entry = chosen[0]
    if entry["model"] is None:
        raise DeployError(
            f"student {student!r} seed {entry['seed']} was not kept (keep_models: {index['keep_models']}); "
            "run the config again with keep_models: all"
        )
    return run / entry["model"]
