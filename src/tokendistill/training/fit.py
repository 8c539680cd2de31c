"""Training as the teacher and student stages call it: resumable, with one-line progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.context import RunContext
from tokendistill.tasks import Task, TaskData
from tokendistill.training import TrainingConfig
from tokendistill.training.progress import EvalLine
from tokendistill.training.rows import TrainingRow
from tokendistill.training.run import TrainResult, train_model
from tokendistill.training.terms import LossTerm


def fit(
    ctx: RunContext,
    adapter: ModelAdapter,
    rows: Sequence[TrainingRow],
    task: Task,
    data: TaskData,
    training: TrainingConfig,
    work: Path,
    *,
    mode: str,
    seed: int,
    track_as: str,
    terms: Sequence[LossTerm] = (),
    hints: Mapping[str, str] | None = None,
    record: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train on ``rows`` (built for ``mode``) with ``seed`` to minimise ``terms`` (the mode's
    loss terms), select on ``data.valid``, test once on ``data.test``; checkpoints live in
    ``work`` so a killed stage resumes from the last complete one; the run's trackers see it as
    the training ``track_as``. ``hints``: valid/test rationales of a mode that reads one at
    inference; ``record``: settings metrics.json keeps."""
    line = EvalLine(lambda text: ctx.console.print(f"  [dim]{text}[/dim]"))
    with ctx.tracker.training(track_as) as tracking:
        return train_model(
            adapter,
            None,
            rows,
            data.valid,
            data.test,
            task,
            training,
            work / "train",
            resume_from_checkpoint=True,
            quiet=True,
            callbacks=[line],
            tracking=tracking,
            mode=mode,
            seed=seed,
            terms=terms,
            hints=hints,
            record=record,
        )
