"""The trackers that hold the pipeline's own figures: TensorBoard and MLflow.

Each is imported only when a run reports to it (both are optional dependencies)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tokendistill.tracking.run import Backend, Figures

# The folder under the run directory that holds every tracker run's TensorBoard logs.
TENSORBOARD_DIR = "tensorboard"


def _summary_writer() -> type:
    """TensorBoard's writer as the Trainer's callback finds it: torch's, else tensorboardX's."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        from tensorboardX import SummaryWriter
    return SummaryWriter


class TensorBoard:
    """``<run_dir>/tensorboard/<tracker run>/``: the pipeline's figures in ``pipeline/``, each
    training's Trainer logs in ``train/<teacher | student-seedS>/`` (TensorBoard lists them as
    runs under the tracker run's name; ``tensorboard --logdir <run_dir>/tensorboard``)."""

    def __init__(self, run_dir: Path, name: str) -> None:
        self.root = run_dir / TENSORBOARD_DIR / name
        self._writer = _summary_writer()
        self.writer = self._writer(log_dir=str(self.root / "pipeline"))

    @contextlib.contextmanager
    def training(self, name: str) -> Iterator[list[Any]]:
        from transformers.integrations import TensorBoardCallback

        writer = self._writer(log_dir=str(self.root / "train" / name))
        try:
            yield [TensorBoardCallback(tb_writer=writer)]
        finally:
            writer.close()  # the callback closes it at the end of training; not if training raised

    def log(self, figures: Figures) -> None:
        for key, value in figures.scalars.items():
            self.writer.add_scalar(key, value, 0)
        for key, points in figures.series.items():
            for step, value in points.items():
                self.writer.add_scalar(key, value, step)
        for key, text in figures.texts.items():
            self.writer.add_text(key, text, 0)
        self.writer.flush()

    def close(self, failed: bool) -> None:
        self.writer.close()


def _mlflow_key(key: str) -> str:
    """A metric name MLflow accepts (the Trainer's MLflow callback replaces the same characters)."""
    return re.sub(r"[^0-9A-Za-z_\-. :/]", "_", key)


class MLflow:
    """A parent run (tracking URI and experiment from ``MLFLOW_TRACKING_URI`` and
    ``MLFLOW_EXPERIMENT_NAME``, as the Trainer's callback reads them) holding the pipeline's
    figures; each training a nested run, which the Trainer's callback finds active and logs to."""

    def __init__(self, run_dir: Path, name: str) -> None:
        import mlflow

        self.mlflow = mlflow
        self.run = mlflow.start_run(run_name=name)

    @contextlib.contextmanager
    def training(self, name: str) -> Iterator[None]:
        self.mlflow.start_run(run_name=name, nested=True)
        status = "FAILED"
        try:
            yield None
            status = "FINISHED"
        finally:
            self.mlflow.end_run(status)

    def log(self, figures: Figures) -> None:
        run_id = self.run.info.run_id
        client = self.mlflow.MlflowClient()
        for key, value in figures.scalars.items():
            client.log_metric(run_id, _mlflow_key(key), value, step=0)
        for key, points in figures.series.items():
            for step, value in points.items():
                client.log_metric(run_id, _mlflow_key(key), value, step=step)
        for key, text in figures.texts.items():
            client.log_text(run_id, text, f"{_mlflow_key(key).replace('/', '_')}.md")

    def close(self, failed: bool) -> None:
        self.mlflow.end_run("FAILED" if failed else "FINISHED")


BACKENDS: dict[str, Callable[[Path, str], Backend]] = {"tensorboard": TensorBoard, "mlflow": MLflow}
