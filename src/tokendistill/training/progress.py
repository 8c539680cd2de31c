"""One short line per evaluation instead of the Trainer's raw log dictionaries."""

from __future__ import annotations

from collections.abc import Callable

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments


class EvalLine(TrainerCallback):
    """Reports ``step N/M · loss x · valid acc y`` through ``emit`` at every evaluation."""

    def __init__(self, emit: Callable[[str], None], label: str = "") -> None:
        self.emit = emit
        self.label = label
        self._loss: float | None = None

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kw):
        logs = logs or {}
        if "loss" in logs:
            self._loss = float(logs["loss"])
        if "eval_accuracy" in logs:
            loss = f" · loss {self._loss:.3f}" if self._loss is not None else ""
            accuracy = float(logs["eval_accuracy"])
            step = f"step {state.global_step}/{state.max_steps}"
            self.emit(f"{self.label}{step}{loss} · valid acc {accuracy:.3f}")
