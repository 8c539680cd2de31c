"""``kd`` and ``kd-multitask``: soft-label (logit) distillation, alone or with the DSS tasks.

``kd`` is ``standard`` whose label task also learns the teacher's distribution; ``kd-multitask``
is ``multitask`` (Distilling Step-by-Step) with the same soft label task. Their rows and
prompts are their parents'; they need the teacher's distributions (stored once by the
pipeline) and add a soft-label term (``SoftLabelTerm``) that takes ``soft_labels.weight`` of
every label row's weight from its cross-entropy. Option: ``soft_labels`` (``soft_labels.py``).
"""

from __future__ import annotations

from pydantic import Field

from tokendistill.training.modes.base import ModeOptions, Needs, TermInputs
from tokendistill.training.modes.multitask import Multitask, TwoTaskOptions
from tokendistill.training.modes.standard import Standard
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.terms import LossTerm, TaskCrossEntropy, TaskWeights


class SoftLabelOptions(ModeOptions):
    soft_labels: SoftLabelConfig = Field(
        default_factory=SoftLabelConfig,
        description="which teacher distributions are learnt, how much, how soft",
    )


class TwoTaskSoftLabelOptions(TwoTaskOptions, SoftLabelOptions):
    pass


def soft_label_terms(soft: SoftLabelConfig, weights: TaskWeights, inputs: TermInputs) -> list[LossTerm]:
    """The cross-entropy with ``1 - weight`` of each label row, and the soft term with the rest."""
    from tokendistill.training.soft_targets import SoftLabelTerm

    if inputs.distributions is None:
        raise ValueError("a soft-label mode trains on the teacher's distributions: none were given")
    soft_term = SoftLabelTerm(
        soft, inputs.distributions, inputs.adapter, inputs.rows, inputs.tokenizer, weights, inputs.on_policy
    )
    return [TaskCrossEntropy(weights, label_share=1.0 - soft.weight), soft_term]


def describe_soft(soft: SoftLabelConfig) -> str:
    if soft.over == "vocabulary" and soft.match == "sorted":
        return f"soft labels over sorted probabilities (ULD; w={soft.weight:g}, T={soft.temperature:g})"
    on_policy = f", on-policy λ={soft.on_policy:g}" if soft.on_policy > 0 else ""
    if on_policy and soft.on_policy_temperature > 0:
        on_policy += f" sampled at {soft.on_policy_temperature:g}"
    settings = f"w={soft.weight:g}, T={soft.temperature:g}, β={soft.beta:g}{on_policy}"
    aligned = ", tokens aligned by their text" if soft.match == "aligned" else ""
    return f"soft labels over {soft.over}{aligned} ({settings})"


class SoftLabels(Standard):
    name = "kd"
    options_model = SoftLabelOptions

    def needs(self, options: SoftLabelOptions) -> Needs:
        return Needs(distributions=options.soft_labels)

    def loss_terms(self, options: SoftLabelOptions, inputs: TermInputs) -> list[LossTerm]:
        return soft_label_terms(options.soft_labels, TaskWeights(), inputs)

    def describe(self, options: SoftLabelOptions) -> str:
        return describe_soft(options.soft_labels)


class SoftLabelsMultitask(Multitask):
    name = "kd-multitask"
    options_model = TwoTaskSoftLabelOptions

    def needs(self, options: TwoTaskSoftLabelOptions) -> Needs:
        return Needs(rationales=True, distributions=options.soft_labels)

    def loss_terms(self, options: TwoTaskSoftLabelOptions, inputs: TermInputs) -> list[LossTerm]:
        return soft_label_terms(options.soft_labels, TaskWeights(options.label_warmup_steps), inputs)

    def describe(self, options: TwoTaskSoftLabelOptions) -> str:
        return f"{super().describe(options)}; {describe_soft(options.soft_labels)}"
