"""``tokendistill.json``: what a kept model needs to be used exactly as it was evaluated.

A kept teacher or student folder is a plain Hugging Face model folder (safetensors,
tokenizer, generation config) that ``AutoModelFor...from_pretrained`` loads. This small JSON
file next to it records what plain transformers cannot know: the student mode whose
``prompt()`` builds the inputs, the adapter settings (answer prefix, length limits), how the
model was evaluated (generate or rank, batch size) and its task, so ``predict`` reproduces
the recorded test predictions. It also carries what the model card shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tokendistill.errors import DeployError
from tokendistill.evaluation.predict import EvalMode
from tokendistill.models.config import AdapterSettings, ModelConfig
from tokendistill.runtime.files import atomic_write_json
from tokendistill.tasks import TaskConfig, TaskData
from tokendistill.training.config import TrainingConfig

MANIFEST = "tokendistill.json"
MANIFEST_FORMAT = 1
MODEL_INDEX = "models.json"  # a run's list of kept models, next to metrics.json


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evaluation(_Strict):
    """How answers are produced: greedy ``generate`` or ``rank`` over the candidates."""

    mode: EvalMode
    batch_size: int
    max_new_tokens: int

    @classmethod
    def of(cls, training: TrainingConfig) -> Evaluation:
        """The evaluation settings of a training config (its defaults for a model without a
        manifest: the defaults live in ``TrainingConfig`` only)."""
        return cls(
            mode=training.eval_mode,
            batch_size=training.eval_batch_size,
            max_new_tokens=training.max_new_tokens,
        )


class Method(_Strict):
    """How the model was trained: its labels, its rationales (source, attribution method, k)
    and the label task's weight ``alpha`` (None where the mode trains one task)."""

    labels: Literal["gold", "teacher"] = "gold"
    rationale_source: str | None = None
    attribution_method: str | None = None
    k: int | None = None
    alpha: float | None = None


class Accuracy(_Strict):
    """Best validation accuracy (the selected checkpoint) and test accuracy on ``n_test``."""

    valid: float | None
    test: float | None
    n_test: int


class ModelManifest(_Strict):
    """Everything ``tokendistill.json`` holds (see the module docstring)."""

    format: int = MANIFEST_FORMAT
    role: Literal["teacher", "student"]
    name: str
    seed: int
    base_model: str
    architecture: Literal["seq2seq", "causal"]
    mode: str
    adapter: AdapterSettings
    evaluation: Evaluation
    task: TaskConfig
    label_set: list[str] | None
    splits: dict[str, int]
    task_notes: list[str]
    method: Method
    teacher: str | None
    accuracy: Accuracy
    config: dict[str, Any]

    def usage_config(self, folder: Path) -> ModelConfig:
        """The model config that loads ``folder`` with this model's adapter settings."""
        return ModelConfig(name=str(folder), **self.adapter.model_dump())


@dataclass(frozen=True)
class Provenance:
    """What a kept model's manifest tells beyond its own config slice: the run's task
    config, the teacher it learnt from and the rationale size k actually used."""

    task: TaskConfig
    teacher: str | None = None
    k: int | None = None


def adapter_settings(model: ModelConfig) -> AdapterSettings:
    """The adapter settings part of a model config."""
    return AdapterSettings(**model.model_dump(include=set(AdapterSettings.model_fields)))


def accuracy_of(metrics: dict) -> Accuracy:
    """The accuracies of a training run's metrics.json (or the teacher's metrics)."""
    test = metrics["test"]
    return Accuracy(
        valid=metrics["valid"]["best_accuracy"], test=test["accuracy"], n_test=int(test.get("n", 0))
    )


def task_facts(data: TaskData) -> dict[str, Any]:
    """The manifest's task fields taken from the loaded data."""
    labels = list(data.label_set) if data.label_set is not None else None
    return {"label_set": labels, "splits": data.sizes(), "task_notes": list(data.notes)}


def write_manifest(folder: Path, manifest: ModelManifest) -> Path:
    return atomic_write_json(folder / MANIFEST, manifest.model_dump(mode="json"), sort_keys=False)


def read_manifest(folder: Path) -> ModelManifest | None:
    """The manifest of a kept model folder; None for any other model (a folder without one,
    a Hub or packaged name)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return ModelManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DeployError(f"{path}: not UTF-8 text; the folder is damaged") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DeployError(f"{path}: {where + ': ' if where else ''}{first['msg']}") from None
