"""``standard``: ``<text>`` -> label. With gold labels it is fine-tuning (the teacher, the
baseline student); with the teacher's answers it is standard distillation."""

from __future__ import annotations

from tokendistill.tasks.example import Example
from tokendistill.training.modes.base import ModeOptions, StudentMode
from tokendistill.training.rows import TASK_LABEL, TrainingRow


class Standard(StudentMode):
    name = "standard"

    def prompt(self, example: Example, rationale: str | None = None) -> str:
        return example.text

    def rows(
        self, example: Example, label: str, rationale: str | None, options: ModeOptions
    ) -> list[TrainingRow]:
        return [TrainingRow(example.id, example.text, label, 1.0, TASK_LABEL)]
