"""What a student mode is: how an example becomes training rows and an inference prompt.

A mode's traits tell the pipeline what it needs, so no stage branches on a mode's name:
``needs_rationale`` (the training split's rationales), ``rationale_at_inference`` (the
rationale is part of the input, so valid/test examples need one too), ``weighs_tasks``
(``alpha`` applies), ``needs_teacher_distributions`` (the teacher's stored distributions
over the answers, for a soft-label term: ``soft_labels`` applies) and ``template_texts``
(template strings its prompts add, which a tokenizer trained from scratch must know).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from tokendistill.tasks.example import Example
from tokendistill.training.rows import TASK_LABEL, TrainingRow


class StudentMode(ABC):
    name: ClassVar[str] = ""
    needs_rationale: ClassVar[bool] = False
    rationale_at_inference: ClassVar[bool] = False
    weighs_tasks: ClassVar[bool] = False
    needs_teacher_distributions: ClassVar[bool] = False
    template_texts: ClassVar[tuple[str, ...]] = ()
    row_tasks: ClassVar[frozenset[int]] = frozenset({TASK_LABEL})

    @abstractmethod
    def prompt(self, example: Example, rationale: str | None = None) -> str:
        """The label task's prompt, identical at training and inference time."""

    @abstractmethod
    def rows(self, example: Example, label: str, rationale: str | None, alpha: float) -> list[TrainingRow]:
        """The example's training rows (``rationale`` is None unless ``needs_rationale``)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
