"""Training rows: (prompt, target, weight, task) pairs, built per student mode (``modes/``).

Task tags index the per-task token counts of the loss (``losses.py``) and the per-task
losses the trainer logs.
"""

from __future__ import annotations

from dataclasses import dataclass

TASK_LABEL = 0
TASK_RATIONALE = 1
TASK_NAMES: tuple[str, ...] = ("label", "rationale")


@dataclass(frozen=True)
class TrainingRow:
    """One (prompt, target) pair with its loss weight and task tag (TASK_LABEL / TASK_RATIONALE).

    Rows of the same ``example_id`` are batched together, so both DSS tasks of an example
    always share a step.
    """

    example_id: str
    prompt: str
    target: str
    weight: float
    task: int

    def __post_init__(self) -> None:
        if self.task not in range(len(TASK_NAMES)):
            raise ValueError(f"row {self.example_id!r}: unknown task tag {self.task}")
        if self.weight < 0:
            raise ValueError(f"row {self.example_id!r}: negative weight {self.weight}")
