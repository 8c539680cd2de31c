"""Contrastive attribution: the margin of the forced answer over the best other choice,
checked against the difference of two single-target attributions."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from pydantic import ValidationError

from tokendistill.attribution import attribute, get_method
from tokendistill.attribution.config import AttributionConfig, AttributionSettings
from tokendistill.attribution.contrast import NoFoil, best_foils, with_foils
from tokendistill.attribution.objective import Objective
from tokendistill.errors import InputError
from tokendistill.runtime.batching import BatchSizer
from tolerances import BATCHING, CANCELLING, assert_close

CHOICES = ("yes", "no", "entailment", "neutral answer")
PLAIN = AttributionSettings(batch_size=2)
CONTRAST = AttributionSettings(batch_size=2, contrastive=True)


@pytest.fixture(scope="module")
def choice_examples(examples):
    return [replace(ex, choices=CHOICES) for ex in examples]


def _direct_foil(adapter, example, target: str) -> str:
    """The other choice with the highest mean target log-probability, one forward each."""
    objective = Objective(adapter)
    scores = {}
    for choice in (c for c in CHOICES if c != target):
        batch = adapter.encode([example.text], [choice])
        scores[choice] = objective.values(batch, objective.embed(batch)).item()
    return max(scores, key=scores.__getitem__)


def test_the_foil_is_the_best_other_choice(adapter, choice_examples) -> None:
    targets = [ex.label for ex in choice_examples]
    prompts = [ex.text for ex in choice_examples]
    foils = best_foils(Objective(adapter), choice_examples, prompts, targets, sizer=BatchSizer(3, start=3))
    assert foils == [_direct_foil(adapter, ex, ex.label) for ex in choice_examples]
    assert all(f != t for f, t in zip(foils, targets, strict=True))


def test_foil_scoring_backs_off_on_out_of_memory(adapter, choice_examples, monkeypatch) -> None:
    targets = [ex.label for ex in choice_examples]
    prompts = [ex.text for ex in choice_examples]
    expected = best_foils(Objective(adapter), choice_examples, prompts, targets, sizer=BatchSizer(1, start=1))
    real, sizes = adapter.target_logits, []

    def limited(batch, prompt_embeds=None, **kwargs):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(batch, prompt_embeds, **kwargs)

    monkeypatch.setattr(adapter, "target_logits", limited)
    sizer = BatchSizer("auto", start=8)
    foils = best_foils(Objective(adapter), choice_examples, prompts, targets, sizer=sizer)
    assert foils == expected
    assert sizes[:2] == [8, 4] and sizer.size == 2 and max(sizes[2:]) == 2


@pytest.mark.parametrize(
    ("name", "options"),
    [("input_x_gradient", {}), ("integrated_gradients", {"n_steps": 4}), ("leave_one_out", {})],
)
def test_contrastive_scores_equal_the_difference_of_two_single_target_attributions(
    adapter, choice_examples, name: str, options: dict
) -> None:
    method = get_method(name, **options)  # linear in the attributed function
    answers = [ex.label for ex in choice_examples]
    foils = [_direct_foil(adapter, ex, ex.label) for ex in choice_examples]
    run = lambda targets, settings: attribute(  # noqa: E731
        adapter, choice_examples, method, split="train", settings=settings, teacher_answers=targets
    )
    contrast, on_answer, on_foil = run(answers, CONTRAST), run(answers, PLAIN), run(foils, PLAIN)
    for c, a, f in zip(contrast, on_answer, on_foil, strict=True):
        assert c.target == a.target
        expected = torch.tensor(a.scores) - torch.tensor(f.scores)
        tolerance = CANCELLING if name in ("leave_one_out", "input_x_gradient") else BATCHING
        assert_close(c.scores, expected, tolerance, f"{name} contrastive scores")


def test_the_contrastive_gradient_is_the_difference_of_the_two_gradients(adapter, choice_examples) -> None:
    prompts = [ex.text for ex in choice_examples]
    answers, foils = ["yes"] * len(prompts), ["no"] * len(prompts)
    plain, contrast = Objective(adapter), Objective(adapter, contrastive=True)
    batch = adapter.encode(prompts, answers)
    embeds = plain.embed(batch)
    (margin,) = contrast.gradients(with_foils(contrast, batch, foils), embeds)
    (on_answer,) = plain.gradients(batch, embeds)
    (on_foil,) = plain.gradients(adapter.encode(prompts, foils), embeds)
    assert_close(margin.grad, on_answer.grad - on_foil.grad, BATCHING, "the margin's gradient")
    sub = with_foils(contrast, batch, foils).select([2, 0])
    assert torch.equal(sub.foil().target_ids, adapter.encode(prompts[:2], foils[:2]).target_ids)


def test_contrast_needs_choices_and_a_sequence_margin(adapter, examples) -> None:
    with pytest.raises(NoFoil, match="needs another answer choice") as err:
        attribute(
            adapter, examples[:1], "saliency", split="train", settings=CONTRAST, teacher_answers=["yes"]
        )
    assert isinstance(err.value, InputError)
    with pytest.raises(ValidationError, match="sequence-level margin"):
        AttributionConfig(contrastive=True, aggregation="per_step")
    with pytest.raises(ValueError, match="sequence"):
        Objective(adapter, aggregation="per_step", contrastive=True)
