"""``multitask``: Distilling Step-by-Step (Hsieh et al. 2023, arXiv 2305.02301).

``predict: <text>`` -> label (weight alpha) and ``explain: <text>`` -> rationale (weight
1 - alpha); only the ``predict:`` task runs at inference. The prefixes are template text
(``Example.with_prefix`` keeps the content spans right for anyone who attributes a
student's prompt).
"""

from __future__ import annotations

from tokendistill.tasks.example import Example
from tokendistill.training.modes.base import StudentMode
from tokendistill.training.rows import TASK_LABEL, TASK_RATIONALE, TrainingRow

PREDICT_PREFIX = "predict: "
EXPLAIN_PREFIX = "explain: "


class Multitask(StudentMode):
    name = "multitask"
    needs_rationale = True
    weighs_tasks = True
    template_texts = (PREDICT_PREFIX, EXPLAIN_PREFIX)
    row_tasks = frozenset({TASK_LABEL, TASK_RATIONALE})

    def prompt(self, example: Example, rationale: str | None = None) -> str:
        return example.with_prefix(PREDICT_PREFIX).text

    def rows(self, example: Example, label: str, rationale: str | None, alpha: float) -> list[TrainingRow]:
        if rationale is None:
            raise ValueError(f"example {example.id!r}: mode 'multitask' needs a rationale")
        return [
            TrainingRow(example.id, self.prompt(example), label, alpha, TASK_LABEL),
            TrainingRow(
                example.id, example.with_prefix(EXPLAIN_PREFIX).text, rationale, 1.0 - alpha, TASK_RATIONALE
            ),
        ]
