"""``multitask``: Distilling Step-by-Step (Hsieh et al. 2023, arXiv 2305.02301).

``predict: <text>`` -> label (weight alpha) and ``explain: <text>`` -> rationale (weight
1 - alpha); only the ``predict:`` task runs at inference. The prefixes are template text
(``Example.with_prefix`` keeps the content spans right for anyone who attributes a
student's prompt). Options: ``alpha`` and ``label_warmup_steps`` (optimizer steps of the
label task alone before both: 0, the paper's setting, trains both from the start).
"""

from __future__ import annotations

from pydantic import Field

from tokendistill.tasks.example import Example
from tokendistill.training.modes.base import ModeOptions, StudentMode, TermInputs
from tokendistill.training.rows import TASK_LABEL, TASK_RATIONALE, TrainingRow
from tokendistill.training.terms import LossTerm, TaskCrossEntropy, TaskWeights

PREDICT_PREFIX = "predict: "
EXPLAIN_PREFIX = "explain: "


class TwoTaskOptions(ModeOptions):
    """The two-task modes' options: the rationale task's weight is ``1 - alpha``."""

    alpha: float = Field(
        0.5, ge=0.0, le=1.0, description="the label task's weight against the rationale task"
    )
    label_warmup_steps: int = Field(0, ge=0, description="steps that train the label task alone first")


class Multitask(StudentMode):
    name = "multitask"
    options_model = TwoTaskOptions
    needs_rationale = True
    template_texts = (PREDICT_PREFIX, EXPLAIN_PREFIX)
    row_tasks = frozenset({TASK_LABEL, TASK_RATIONALE})

    def prompt(self, example: Example, rationale: str | None = None) -> str:
        return example.with_prefix(PREDICT_PREFIX).text

    def rows(
        self, example: Example, label: str, rationale: str | None, options: TwoTaskOptions
    ) -> list[TrainingRow]:
        if rationale is None:
            raise ValueError(f"example {example.id!r}: mode {self.name!r} needs a rationale")
        alpha = options.alpha
        return [
            TrainingRow(example.id, self.prompt(example), label, alpha, TASK_LABEL),
            TrainingRow(
                example.id, example.with_prefix(EXPLAIN_PREFIX).text, rationale, 1.0 - alpha, TASK_RATIONALE
            ),
        ]

    def loss_terms(self, options: TwoTaskOptions, inputs: TermInputs) -> list[LossTerm]:
        return [TaskCrossEntropy(TaskWeights(options.label_warmup_steps))]

    def label_weight(self, options: TwoTaskOptions) -> float | None:
        return options.alpha

    def describe(self, options: TwoTaskOptions) -> str:
        warmup = options.label_warmup_steps
        return f"α={options.alpha}" + (f", {warmup} label-only steps first" if warmup else "")
