"""What the guided modes share: the label task (``predict: x`` -> label), optionally with
Distilling Step-by-Step's rationale task (``alpha`` < 1) and soft labels, plus one term that
makes the teacher's marks shape the label's *decision* (``guidance_term``).

A guided student names a rationale source that marks words of the input (``attribution``:
the teacher's top-k words; ``random``: k random words, the control that tells guidance from
regularisation; ``oracle``: the planted words, topped up to k). Options common to every
guided mode: ``weight`` (λ, the guidance term's weight), ``alpha`` (the label task's weight;
1, the default, trains no rationale task), ``label_warmup_steps`` and ``soft_labels`` (none by
default). Each mode adds its own.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping

from pydantic import Field

from tokendistill.rationales.marks import Marks
from tokendistill.tasks.example import Example
from tokendistill.training.guidance.tokens import GuidanceTerm
from tokendistill.training.modes.base import Needs, TermInputs
from tokendistill.training.modes.kd import describe_soft, soft_label_terms
from tokendistill.training.modes.multitask import PREDICT_PREFIX, Multitask, TwoTaskOptions
from tokendistill.training.rows import TASK_LABEL, TASK_RATIONALE, TrainingRow
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.terms import LossTerm, TaskCrossEntropy, TaskWeights


class GuidedOptions(TwoTaskOptions):
    alpha: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="the label task's weight; below 1 adds the rationale task (1 − alpha)",
    )
    weight: float = Field(1.0, ge=0.0, description="λ: the guidance term's weight")
    soft_labels: SoftLabelConfig | None = Field(
        None,
        description="the teacher's distributions as a soft label term, as mode kd (none: gold labels only)",
    )


class Guided(Multitask):
    options_model = GuidedOptions
    row_tasks = frozenset({TASK_LABEL})
    optional_tasks = frozenset({TASK_RATIONALE})

    def rows(
        self, example: Example, label: str, rationale: str | None, options: GuidedOptions
    ) -> list[TrainingRow]:
        rows = super().rows(example, label, rationale, options)
        return rows if options.alpha < 1 else rows[:1]

    def needs(self, options: GuidedOptions) -> Needs:
        return Needs(rationales=options.alpha < 1, marks=True, distributions=options.soft_labels)

    def loss_terms(self, options: GuidedOptions, inputs: TermInputs) -> list[LossTerm]:
        if inputs.marks is None:
            raise ValueError(f"mode {self.name!r} is guided by the rationales' marks: none were given")
        weights = TaskWeights(options.label_warmup_steps)
        base = (
            soft_label_terms(options.soft_labels, weights, inputs)
            if options.soft_labels is not None
            else [TaskCrossEntropy(weights)]
        )
        return [*base, self.guidance_term(options, inputs.marks, len(PREDICT_PREFIX))]

    @abstractmethod
    def guidance_term(self, options: GuidedOptions, marks: Mapping[str, Marks], shift: int) -> GuidanceTerm:
        """The term that guides the label task by ``marks`` (the label prompts hold the text
        behind ``shift`` characters)."""

    def label_weight(self, options: GuidedOptions) -> float | None:
        return options.alpha if options.alpha < 1 else None

    def describe(self, options: GuidedOptions) -> str:
        parts = [f"λ={options.weight:g}", *self.describe_own(options)]
        if options.alpha < 1:
            parts.append(super().describe(options))
        if options.soft_labels is not None:
            parts.append(describe_soft(options.soft_labels))
        return ", ".join(parts)

    def describe_own(self, options: GuidedOptions) -> list[str]:
        """The mode's own options in words."""
        return []
