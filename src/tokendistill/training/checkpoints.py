"""Resuming a killed training run from its last complete Trainer checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from accelerate import PartialState
from transformers.trainer_utils import get_last_checkpoint


def resume_point(resume: bool | str | None, checkpoint_dir: str) -> str | None:
    """Where ``train_model`` resumes: ``resume`` itself (a checkpoint folder), or for True
    the latest complete checkpoint in ``checkpoint_dir`` (None: a fresh start).

    Under several processes every one takes the same path: the main process drops
    half-written checkpoints, all wait, then all read the same folder.
    """
    if resume is not True:
        return resume or None
    state = PartialState()
    folder = Path(checkpoint_dir)
    if state.is_main_process and folder.is_dir():
        drop_incomplete_checkpoints(folder)
    state.wait_for_everyone()
    return get_last_checkpoint(checkpoint_dir) if folder.is_dir() else None


def drop_incomplete_checkpoints(checkpoint_dir: Path) -> None:
    """Delete Trainer checkpoints that a kill left half-written, before resuming.

    The Trainer writes ``checkpoint-N/`` in place, ``trainer_state.json`` last. Resuming picks
    the highest N, and one without a readable state fails ("Can't find a valid checkpoint")
    on every later run; without it, resuming starts from the last complete checkpoint.
    """
    for folder in checkpoint_dir.glob("checkpoint-*"):
        try:
            json.loads((folder / "trainer_state.json").read_text())
        except (OSError, ValueError):
            shutil.rmtree(folder, ignore_errors=True)
