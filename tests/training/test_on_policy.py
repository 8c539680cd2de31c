"""On-policy soft labels (GKD's λ): which steps are on-policy is a draw from the step alone;
on such a step the soft term follows the student's own greedy answers, teacher-forced through the
live teacher, and equals that divergence computed by hand; off it, the stored distributions."""

from __future__ import annotations

import pytest
import torch

from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.tiny import tiny_causal
from tokendistill.stages.distributions import teacher_targets
from tokendistill.training import build_rows, task_token_counts
from tokendistill.training.chunked import TargetOutputs
from tokendistill.training.data import ExampleRowsDataset, RowCollator, as_encoded_batch
from tokendistill.training.losses import tail_bucket_jsd
from tokendistill.training.modes import label_prompts
from tokendistill.training.on_policy import OnPolicy
from tokendistill.training.rows import TASK_NAMES
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import (
    SoftLabelTerm,
    TeacherDistributions,
    vocabulary_fingerprint,
    vocabulary_tensors,
)
from tokendistill.training.terms import StepBatch
from tolerances import BATCHING, assert_close


def _adapter(toy, seed: int) -> ModelAdapter:
    tokenizer = toy.toy_tokenizer()
    return make_adapter(tiny_causal(tokenizer, seed=seed), tokenizer)


def test_the_draw_depends_on_the_step_alone() -> None:
    draw = OnPolicy(None, {}, {}).drawn  # type: ignore[arg-type]
    assert not any(draw(step, 0.0) for step in range(100)) and all(draw(step, 1.0) for step in range(100))
    half = [draw(step, 0.5) for step in range(400)]
    assert 150 < sum(half) < 250 and half == [draw(step, 0.5) for step in range(400)]


def test_the_setting_needs_token_by_token_next_token_distributions() -> None:
    with pytest.raises(ValueError, match="needs over: vocabulary and match: tokens"):
        SoftLabelConfig(over="choices", on_policy=0.5)
    with pytest.raises(ValueError, match="needs over: vocabulary and match: tokens"):
        SoftLabelConfig(match="sorted", on_policy=0.5)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_an_on_policy_step_scores_the_students_own_answers_with_the_teacher(toy, share: float) -> None:
    teacher, student = _adapter(toy, seed=1), _adapter(toy, seed=2)
    examples = toy.TRAIN[:6]
    config = SoftLabelConfig(weight=1.0, temperature=1.0, top_k=5, on_policy=share)
    teacher_prompts = dict(zip([e.id for e in examples], label_prompts(examples, "standard"), strict=True))
    with torch.no_grad():
        stored = teacher_targets(
            teacher, config, list(teacher_prompts.values()), [[e.label] for e in examples], 3
        )
    distributions = TeacherDistributions(
        "key", "vocabulary", "teacher", vocabulary_fingerprint(teacher.tokenizer),
        {e.id: t for e, t in zip(examples, stored, strict=True)},
    )  # fmt: skip
    rows = build_rows(examples, "kd")
    scored: list[list[str]] = []

    def recording(adapter, settings, prompts, wanted, batch_size):
        assert adapter is teacher and list(prompts) == [teacher_prompts[e.id] for e in examples]
        scored.append([w[0] for w in wanted])
        return teacher_targets(adapter, settings, prompts, wanted, batch_size)

    on_policy = OnPolicy(teacher, teacher_prompts, teacher_prompts)  # kd's label prompt is the standard one
    term = SoftLabelTerm(config, distributions, student, rows, "student", on_policy=on_policy)
    batch = RowCollator(student, [term])([ExampleRowsDataset(rows)[i] for i in range(6)])
    encoded = as_encoded_batch(batch)
    logits = student.target_logits(encoded)
    counts = task_token_counts(batch["target_mask"], batch["row_task"], len(TASK_NAMES))
    view = StepBatch(
        student, batch, TargetOutputs(encoded.target_mask, logits=logits), logits[..., 0], counts, 3, True
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tokendistill.training.on_policy.teacher_targets", recording)
        value = term(view)
    if share == 0.0:
        assert scored == []  # the stored distributions along the gold answers
        return
    (answers,) = scored
    assert answers == student.generate([teacher_prompts[e.id] for e in examples])  # the student's own
    with torch.no_grad():
        targets = teacher_targets(teacher, config, list(teacher_prompts.values()), [[a] for a in answers], 6)
        own = student.encode(list(teacher_prompts.values()), answers)
        soft = vocabulary_tensors(targets, own.target_ids.shape[1])
        per_token = tail_bucket_jsd(
            student.target_logits(own),
            soft["soft_ids"],
            soft["soft_logprobs"],
            soft["soft_tail"],
            temperature=1.0,
        )
        mask = own.target_mask * soft["soft_mask"]
        per_row = (per_token * mask).sum(-1) / mask.sum(-1)
        gold_tokens = batch["target_mask"].sum(-1)
        expected = (per_row * gold_tokens).sum() / gold_tokens.sum()  # each row's mean, once per gold token
    assert_close(value, expected, BATCHING)
    (grad,) = torch.autograd.grad(value, [student.model.get_input_embeddings().weight])
    assert grad.abs().sum() > 0  # the student learns along its own answers


def test_the_teacher_scores_without_building_a_graph(toy) -> None:
    """Scoring is inference: the stage's stored cache and the on-policy term alike compute the
    teacher's forward without gradients (a graph per scored batch would hold its activations)."""
    teacher = _adapter(toy, seed=1)
    seen: list[bool] = []
    original = teacher.target_logits

    def recording(batch):
        seen.append(torch.is_grad_enabled())
        return original(batch)

    teacher.target_logits = recording  # type: ignore[method-assign]
    examples = toy.TRAIN[:3]
    teacher_targets(
        teacher, SoftLabelConfig(top_k=4), [e.text for e in examples], [[e.label] for e in examples], 3
    )
    assert seen == [False]
