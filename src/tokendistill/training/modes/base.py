"""What a student mode is: a whole training recipe, as a TRL trainer is its config plus
``compute_loss``.

A mode holds its own options (``options_model``: the student's config keys beyond name, mode,
labels, rationale and sweep_k, validated here), its rows and prompts, its loss terms
(``loss_terms``), and what it needs from upstream (``needs``). The pipeline, the collator, the
trainer, the preflight and the report ask the mode; none tests its name or its options.
Class-level traits tell what holds for every student of the mode: ``needs_rationale`` (the
training split's rationales), ``rationale_at_inference`` (the rationale is part of the input,
so valid/test examples need one too) and ``template_texts`` (template strings its prompts add,
which a tokenizer trained from scratch must know); ``row_tasks`` are the tasks its rows always
hold and ``optional_tasks`` those its options may add.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from tokendistill.rationales.marks import Marks
from tokendistill.tasks.example import Example
from tokendistill.training.rows import TASK_LABEL, TrainingRow
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.terms import LossTerm, TaskCrossEntropy

if TYPE_CHECKING:
    from tokendistill.models.adapter import ModelAdapter
    from tokendistill.training.on_policy import OnPolicy
    from tokendistill.training.soft_targets import TeacherDistributions


class ModeOptions(BaseModel):
    """A mode's own settings (none): any key is refused, by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Needs:
    """What a student of the mode, with its options, needs from upstream: the training split's
    rationales, valid/test rationales (read at inference), the teacher's distributions over
    the answers (with their settings), the training split's marks (where each rationale lies in
    the input), and whether its tokenizer must be the teacher's."""

    rationales: bool = False
    eval_rationales: bool = False
    distributions: SoftLabelConfig | None = None
    marks: bool = False

    @property
    def teacher_vocabulary(self) -> bool:
        soft = self.distributions
        return soft is not None and soft.over == "vocabulary" and soft.match == "tokens"


@dataclass(frozen=True)
class TermInputs:
    """What ``loss_terms`` may draw on: the student model, its training rows, the teacher's
    distributions and the rationales' marks (when the mode needs them), how messages name
    the student's tokenizer, and the live teacher with the examples' prompts (on-policy soft
    labels)."""

    adapter: ModelAdapter
    rows: Sequence[TrainingRow]
    distributions: TeacherDistributions | None = None
    tokenizer: str = ""
    marks: Mapping[str, Marks] | None = None
    on_policy: OnPolicy | None = None


class StudentMode(ABC):
    name: ClassVar[str] = ""
    options_model: ClassVar[type[ModeOptions]] = ModeOptions
    needs_rationale: ClassVar[bool] = False
    rationale_at_inference: ClassVar[bool] = False
    template_texts: ClassVar[tuple[str, ...]] = ()
    row_tasks: ClassVar[frozenset[int]] = frozenset({TASK_LABEL})
    optional_tasks: ClassVar[frozenset[int]] = frozenset()

    @abstractmethod
    def prompt(self, example: Example, rationale: str | None = None) -> str:
        """The label task's prompt, identical at training and inference time."""

    @abstractmethod
    def rows(
        self, example: Example, label: str, rationale: str | None, options: ModeOptions
    ) -> list[TrainingRow]:
        """The example's training rows (``rationale`` is None unless ``needs_rationale``)."""

    def needs(self, options: ModeOptions) -> Needs:
        return Needs(rationales=self.needs_rationale, eval_rationales=self.rationale_at_inference)

    def loss_terms(self, options: ModeOptions, inputs: TermInputs) -> list[LossTerm]:
        """The terms training minimises (summed): the rows' packed cross-entropy by default."""
        return [TaskCrossEntropy()]

    def label_weight(self, options: ModeOptions) -> float | None:
        """The label task's weight among several tasks (model cards); None for one task."""
        return None

    def describe(self, options: ModeOptions) -> str:
        """The options in words, for the report ("" when there are none)."""
        return ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
