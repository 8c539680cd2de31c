"""The tracker run of one ``tokendistill run``.

How the Trainer's own callbacks make runs decides the layout: each ``trainer.train()`` is a
run of its own (a TensorBoard log folder, an MLflow run, a W&B run), so every training of a
``tokendistill run`` (the teacher, each student and seed) is one run, grouped under the one
tracker run that holds the pipeline's own figures (stage wall times, the analyses, the final
accuracy table): a TensorBoard folder with a ``pipeline`` run beside the trainings', an MLflow
parent run with the trainings as nested runs. Only the main process opens trackers.

Trackers without such a backend here (``wandb``, ``trackio``, ``comet_ml``, ...) get what their
Trainer callback logs, one run per training named ``<tracker run>/<training>``; the pipeline's
figures reach only the trackers in ``BACKENDS``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tokendistill.tracking.config import TrackingConfig


@dataclass(frozen=True)
class Figures:
    """What the pipeline logs at once: ``scalars`` at step 0, ``series`` (name -> step ->
    value, e.g. a figure against k), and Markdown ``texts``."""

    scalars: Mapping[str, float] = field(default_factory=dict)
    series: Mapping[str, Mapping[int, float]] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainerTracking:
    """What one training's Trainer gets: the trackers it builds callbacks for itself
    (``TrainingArguments.report_to``), callbacks made for it, and its run's name."""

    report_to: list[str]
    callbacks: list[Any]
    run_name: str


class Backend(Protocol):
    """A tracker that holds the pipeline's figures and groups the trainings under them."""

    def training(self, name: str) -> AbstractContextManager[list[Any] | None]:
        """Around one training: callbacks that replace the Trainer's own for this tracker,
        or None when the Trainer's own callback is to log (into what this opened)."""

    def log(self, figures: Figures) -> None: ...

    def close(self, failed: bool) -> None: ...


class TrackerRun:
    """The tracker run of one ``tokendistill run``: ``training(name)`` around each training,
    ``log(figures)`` for the pipeline's own; a run with no trackers does nothing."""

    def __init__(self, trackers: list[str], backends: Mapping[str, Backend], name: str) -> None:
        self.trackers = trackers
        self.backends = dict(backends)
        self.name = name

    @contextlib.contextmanager
    def training(self, name: str) -> Iterator[TrainerTracking]:
        report_to, callbacks = list(self.trackers), []
        with contextlib.ExitStack() as stack:
            for tracker, backend in self.backends.items():
                own = stack.enter_context(backend.training(name))
                if own is not None:
                    report_to.remove(tracker)
                    callbacks.extend(own)
            yield TrainerTracking(report_to, callbacks, f"{self.name}/{name}")

    def log(self, figures: Figures) -> None:
        for backend in self.backends.values():
            backend.log(figures)


NO_TRACKER = TrackerRun([], {}, "")


@contextlib.contextmanager
def open_tracker(
    config: TrackingConfig, run_dir: Path, *, is_main: bool = True, note: Any = None
) -> Iterator[TrackerRun]:
    """The tracker run of one ``tokendistill run`` in ``run_dir``, closed (as failed, if the
    run raised) on exit. ``note(text)``, if given, hears which trackers get only the
    Trainer's logs."""
    from tokendistill.tracking.backends import BACKENDS

    trackers = config.trackers()
    name = config.run_name or f"{run_dir.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    backends: dict[str, Backend] = {}
    failed = True
    try:
        if is_main:
            for tracker in trackers:
                if tracker in BACKENDS:
                    backends[tracker] = BACKENDS[tracker](run_dir, name)
            others = [t for t in trackers if t not in BACKENDS]
            if others and note is not None:
                note(
                    f"{', '.join(others)}: the trainings' logs only (pipeline figures: {', '.join(BACKENDS)})"
                )
        yield TrackerRun(trackers, backends, name)
        failed = False
    finally:
        for backend in backends.values():
            backend.close(failed)
