"""``hints``: ``<text>\\nHints: <rationale>`` -> label. An ablation: the rationale is an input,
so the rationale's source (e.g. the teacher) is needed at inference too."""

from __future__ import annotations

from tokendistill.tasks.example import Example
from tokendistill.training.modes.base import ModeOptions, StudentMode
from tokendistill.training.rows import TASK_LABEL, TrainingRow

HINTS_SEPARATOR = "\nHints: "


class Hints(StudentMode):
    name = "hints"
    needs_rationale = True
    rationale_at_inference = True
    template_texts = (HINTS_SEPARATOR,)

    def prompt(self, example: Example, rationale: str | None = None) -> str:
        if rationale is None:
            raise ValueError(f"example {example.id!r}: mode 'hints' needs a rationale for the input")
        return example.text + HINTS_SEPARATOR + rationale

    def rows(
        self, example: Example, label: str, rationale: str | None, options: ModeOptions
    ) -> list[TrainingRow]:
        return [TrainingRow(example.id, self.prompt(example, rationale), label, 1.0, TASK_LABEL)]
