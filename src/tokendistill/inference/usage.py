"""How a model is run: a kept model's own settings (its manifest), or the defaults for any
other model (a folder, a Hub or packaged name), with explicit overrides on top."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TypedDict

from pydantic import ValidationError

from tokendistill.distributed import default_state
from tokendistill.errors import DeployError
from tokendistill.evaluation.predict import EvalMode
from tokendistill.kept.checks import check_model_folder
from tokendistill.kept.manifest import Evaluation, ModelManifest, read_manifest
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.tasks import Task, TaskConfig, resolve_task
from tokendistill.training.config import TrainingConfig
from tokendistill.training.modes import StudentMode, get_mode

ModelRef = str | os.PathLike[str]
TaskRef = str | TaskConfig


class UsageOptions(TypedDict, total=False):
    """What overrides a model's own settings, as keywords of ``resolve_usage`` and
    ``predict``: the ``task`` (a name or config) that formats and scores the inputs, and the
    evaluation's ``eval_mode`` (generate or rank), ``batch_size`` and ``max_new_tokens``."""

    task: TaskRef | None
    eval_mode: EvalMode | None
    batch_size: int | None
    max_new_tokens: int | None


@dataclass(frozen=True)
class ModelUsage:
    """A model and everything needed to prompt it and read its answers."""

    spec: str
    manifest: ModelManifest | None
    model: ModelConfig
    mode: StudentMode
    evaluation: Evaluation
    task_config: TaskConfig | None

    def load(self) -> ModelAdapter:
        """The model on this process's device, in eval mode."""
        return load_adapter(self.model, device=default_state().device)

    @cached_property
    def task(self) -> Task | None:
        if self.task_config is None:
            return None
        try:
            return resolve_task(self.task_config)
        except ValueError as err:  # an unknown task name, a custom task under a taken name
            raise DeployError(str(err)) from None

    @property
    def label_set(self) -> tuple[str, ...] | None:
        """The closed answer set (rank classification): the kept model's, else the task's."""
        if self.manifest is not None and self.manifest.label_set is not None:
            return tuple(self.manifest.label_set)
        return self.task.label_set if self.task is not None else None


def resolve_usage(
    model: ModelRef,
    *,
    task: TaskRef | None = None,
    mode: str | None = None,
    eval_mode: EvalMode | None = None,
    batch_size: int | None = None,
    max_new_tokens: int | None = None,
) -> ModelUsage:
    """The usage of ``model``: a kept model folder brings its manifest (mode, adapter and
    evaluation settings, task); anything else starts from the defaults. ``task`` (a task
    name or config) and the other arguments, when given, override."""
    spec = str(model)
    if Path(spec).is_dir():
        check_model_folder(Path(spec))
    manifest = read_manifest(Path(spec)) if Path(spec).is_dir() else None
    if manifest is not None:
        config, evaluation = manifest.usage_config(Path(spec)), manifest.evaluation
        mode, task_config = mode or manifest.mode, manifest.task
    else:
        config, evaluation, task_config = _model_config(spec), Evaluation.of(TrainingConfig()), None
        mode = mode or "standard"
    overrides = {"mode": eval_mode, "batch_size": batch_size, "max_new_tokens": max_new_tokens}
    evaluation = Evaluation(**{**evaluation.model_dump(), **{k: v for k, v in overrides.items() if v}})
    if task is not None:
        task_config = _task_config(task)
    return ModelUsage(spec, manifest, config, _mode(mode), evaluation, task_config)


def _model_config(spec: str) -> ModelConfig:
    try:
        return ModelConfig(name=spec)
    except ValidationError as err:
        raise DeployError(err.errors()[0]["msg"].removeprefix("Value error, ")) from None


def _task_config(task: TaskRef) -> TaskConfig:
    if isinstance(task, TaskConfig):
        return task
    try:
        return TaskConfig(name=task)
    except ValidationError as err:
        raise DeployError(f"task {task!r}: {err.errors()[0]['msg']}") from None


def _mode(name: str) -> StudentMode:
    try:
        return get_mode(name)
    except ValueError as err:
        raise DeployError(str(err)) from None
