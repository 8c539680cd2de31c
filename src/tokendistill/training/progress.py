"""One short line per evaluation instead of the Trainer's raw log dictionaries."""

from __future__ import annotations

from collections.abc import Callable

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class EvalLine(TrainerCallback):
    """Reports ``step N/M · loss x (label a, rationale b) · valid acc y`` through ``emit`` at
    every evaluation; the per-task part only when the step logged both tasks."""

    def __init__(self, emit: Callable[[str], None], label: str = "") -> None:
        self.emit = emit
        self.label = label
        self._loss: float | None = None
        self._tasks = ""

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kw):
        logs = logs or {}
        if "loss" in logs:
            self._loss = float(logs["loss"])
            both = "loss_label" in logs and "loss_rationale" in logs
            self._tasks = (
                f" (label {logs['loss_label']:.3f}, rationale {logs['loss_rationale']:.3f})" if both else ""
            )
        if "eval_accuracy" in logs:
            loss = f" · loss {self._loss:.3f}{self._tasks}" if self._loss is not None else ""
            accuracy = float(logs["eval_accuracy"])
            step = f"step {state.global_step}/{state.max_steps}"
            self.emit(f"{self.label}{step}{loss} · valid acc {accuracy:.3f}")
