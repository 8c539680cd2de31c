"""Soft-label distillation: the divergence against torch's ``kl_div``, and the soft term of a
batch (collated next to the rows) against a direct computation on two tiny models."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from tokendistill.models.adapter import ModelAdapter, make_adapter, picked_logprobs
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tokendistill.stages.distributions import teacher_targets
from tokendistill.tasks.example import Example
from tokendistill.training import build_rows, task_token_counts
from tokendistill.training.chunked import TargetOutputs
from tokendistill.training.data import ExampleRowsDataset, RowCollator, as_encoded_batch
from tokendistill.training.losses import generalized_jsd, sorted_distance
from tokendistill.training.modes import TermInputs, get_mode, mode_options
from tokendistill.training.rows import TASK_LABEL, TASK_NAMES
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import (
    SoftLabelMismatch,
    SoftLabelTerm,
    TeacherDistributions,
    vocabulary_fingerprint,
)
from tokendistill.training.terms import StepBatch, TaskCrossEntropy
from tolerances import BATCHING, FORMULA, assert_close

LABELS = ("animal", "color", "food")
TEXTS = ["the cat sat here", "a red cup on it", "we ate the bread", "the dog and a blue hat"]


def _toy(seed: int, shape=(3, 4, 7)) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_forward_kl_equals_torch_kl_div(temperature: float) -> None:
    student, teacher = _toy(0), _toy(1)
    log_s, log_t = (torch.log_softmax(x / temperature, -1) for x in (student, teacher))
    expected = F.kl_div(log_s, log_t, log_target=True, reduction="none").sum(-1)
    got = generalized_jsd(student, teacher, temperature=temperature)
    assert_close(got, expected, FORMULA)
    batchmean = F.kl_div(log_s.view(-1, 7), log_t.view(-1, 7), log_target=True, reduction="batchmean")
    assert_close(got.mean(), batchmean, FORMULA)


def test_reverse_kl_and_the_jensen_shannon_mixture() -> None:
    student, teacher = _toy(2), _toy(3)
    log_s, log_t = torch.log_softmax(student, -1), torch.log_softmax(teacher, -1)
    reverse = F.kl_div(log_t, log_s, log_target=True, reduction="none").sum(-1)
    assert_close(generalized_jsd(student, teacher, beta=1.0), reverse, FORMULA)
    p, q = log_t.exp(), log_s.exp()
    for beta in (0.3, 0.5):
        mix = beta * p + (1 - beta) * q
        direct = beta * (p * (p / mix).log()).sum(-1) + (1 - beta) * (q * (q / mix).log()).sum(-1)
        assert_close(generalized_jsd(student, teacher, beta=beta), direct, FORMULA)
    assert_close(
        generalized_jsd(student, teacher, beta=0.5), generalized_jsd(teacher, student, beta=0.5), FORMULA
    )


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
def test_the_divergence_is_zero_when_student_equals_teacher(beta: float) -> None:
    same = _toy(4)
    zeros = torch.zeros(3, 4)  # a divergence's natural scale is 1 (nats)
    assert_close(generalized_jsd(same, same.clone(), beta=beta, temperature=2.0), zeros, FORMULA, scale=1.0)


def test_support_restricts_both_distributions_and_keeps_gradients_finite() -> None:
    student, teacher = _toy(5).requires_grad_(True), _toy(6)
    support = torch.ones(3, 4, 7, dtype=torch.bool)
    support[..., 5:] = False
    got = generalized_jsd(student, teacher, beta=0.5, support=support)
    assert_close(got, generalized_jsd(student[..., :5], teacher[..., :5], beta=0.5), FORMULA)
    got.sum().backward()
    assert torch.isfinite(student.grad).all() and (student.grad[..., 5:] == 0).all()


# ------------------------------------------------------------- the soft term of a batch
def _examples() -> list[Example]:
    return [Example(f"e{i}", text, ((0, len(text)),), LABELS[i % 3], LABELS) for i, text in enumerate(TEXTS)]


def _adapter(arch: str, seed: int, vocab: int = 200) -> ModelAdapter:
    tokenizer = build_tiny_tokenizer([*TEXTS, *LABELS, "predict: explain: "], vocab_size=vocab)
    build = tiny_causal if arch == "causal" else tiny_seq2seq
    return make_adapter(build(tokenizer, seed=seed).eval(), tokenizer)


def _distributions(teacher: ModelAdapter, config: SoftLabelConfig) -> TeacherDistributions:
    examples = _examples()
    prompts = [ex.text for ex in examples]
    wanted = [[ex.label] for ex in examples] if config.over == "vocabulary" else [LABELS] * len(examples)
    targets = teacher_targets(teacher, config, prompts, wanted, batch_size=3)
    fingerprint = vocabulary_fingerprint(teacher.tokenizer)
    return TeacherDistributions(
        "key", config.over, "teacher", fingerprint, {e.id: t for e, t in zip(examples, targets, strict=True)}
    )


def _batch(student: ModelAdapter, soft: SoftLabelTerm, mode: str) -> dict[str, torch.Tensor]:
    options = {"alpha": 0.6} if mode == "kd-multitask" else None
    rows = build_rows(_examples(), mode, rationales={f"e{i}": "cat red" for i in range(4)}, options=options)
    items = [ExampleRowsDataset(rows)[i] for i in range(4)]
    return RowCollator(student, [soft])(items)


def _soft_loss(student: ModelAdapter, soft: SoftLabelTerm, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    encoded = as_encoded_batch(batch)
    logits = student.target_logits(encoded)
    counts = task_token_counts(batch["target_mask"], batch["row_task"], len(TASK_NAMES))
    return soft(
        StepBatch(
            student,
            batch,
            TargetOutputs(encoded.target_mask, logits=logits),
            picked_logprobs(logits, encoded),
            counts,
            0,
            training=False,
        )
    )


@pytest.mark.parametrize("arch", ["causal", "seq2seq"])
def test_vocabulary_term_equals_a_direct_kl_div_and_vanishes_for_the_teacher_itself(arch: str) -> None:
    config = SoftLabelConfig(weight=0.4, temperature=2.0, top_k=4096)  # top-k covers the vocabulary
    teacher, student = _adapter(arch, seed=0), _adapter(arch, seed=1)
    distributions = _distributions(teacher, config)
    rows = build_rows(_examples(), "kd-multitask", rationales={f"e{i}": "cat red" for i in range(4)})
    soft = SoftLabelTerm(config, distributions, student, rows, "student")
    batch = _batch(student, soft, "kd-multitask")
    labels = batch["row_task"] == TASK_LABEL
    assert_close(batch["row_weight"], torch.where(labels, 0.6, 0.4), FORMULA)  # the rows' own α
    # The mode splits each label row's weight: 1 - w to its cross-entropy, w to the soft term.
    options = mode_options("kd-multitask", {"alpha": 0.6, "soft_labels": config.model_dump()})
    terms = get_mode("kd-multitask").loss_terms(options, TermInputs(student, rows, distributions, "student"))
    assert [type(t) for t in terms] == [TaskCrossEntropy, SoftLabelTerm] and terms[0].label_share == 0.6
    with torch.no_grad():
        own = teacher.encode([ex.text for ex in _examples()], [ex.label for ex in _examples()])
        log_t = torch.log_softmax(teacher.target_logits(own) / 2.0, -1)  # the teacher reads its own prompt
        width = own.target_ids.shape[1]
        encoded = as_encoded_batch(batch)  # the student's label rows read "predict: <text>"
        log_s = torch.log_softmax(student.target_logits(encoded)[labels][:, :width] / 2.0, -1)
        mask = own.target_mask
        assert torch.equal(encoded.target_mask[labels][:, :width], mask)
        kl = F.kl_div(log_s, log_t, log_target=True, reduction="none").sum(-1)
        expected = 4.0 * 0.6 * 0.4 * (kl * mask).sum() / mask.sum()
        assert_close(_soft_loss(student, soft, batch), expected, BATCHING)
        plain = build_rows(_examples(), "kd")  # the teacher's own prompts: its own distributions
        itself = SoftLabelTerm(config, distributions, teacher, plain, "teacher")
        assert _soft_loss(teacher, itself, _batch(teacher, itself, "kd")).abs() < 1e-5


def test_choices_term_compares_answer_distributions_across_vocabularies() -> None:
    config = SoftLabelConfig(over="choices", weight=1.0, temperature=1.0)
    teacher, student = _adapter("causal", seed=0), _adapter("seq2seq", seed=1, vocab=150)
    distributions = _distributions(teacher, config)
    rows = build_rows(_examples(), "kd")
    soft = SoftLabelTerm(config, distributions, student, rows, "student")
    batch = _batch(student, soft, "kd")
    with torch.no_grad():
        prompts = [ex.text for ex in _examples()]
        log_s = torch.log_softmax(torch.tensor(student.score_choices(prompts, [LABELS] * 4)), -1)
        log_t = torch.log_softmax(torch.tensor(teacher.score_choices(prompts, [LABELS] * 4)), -1)
        kl = F.kl_div(log_s, log_t, log_target=True, reduction="none").sum(-1)  # [examples]
        tokens = batch["target_mask"].sum(-1).float()  # each example's KL counts per answer token
        expected = (kl * tokens).sum() / tokens.sum()
        assert_close(_soft_loss(student, soft, batch), expected, BATCHING)
        itself = SoftLabelTerm(config, distributions, teacher, rows, "teacher")
        assert _soft_loss(teacher, itself, _batch(teacher, itself, "kd")).abs() < 1e-5


def test_different_vocabularies_fail_naming_both_tokenizers() -> None:
    config = SoftLabelConfig()
    distributions = _distributions(_adapter("causal", seed=0), config)
    other = _adapter("causal", seed=0, vocab=150)
    with pytest.raises(
        SoftLabelMismatch, match=r"teacher's tokenizer \(teacher\) and the student's \(mine\)"
    ):
        SoftLabelTerm(config, distributions, other, build_rows(_examples(), "kd"), "mine")
    # One vocabulary, but the answer cut into other tokens (another prefix, another length limit).
    first = distributions.entries["e0"]
    entries = {**distributions.entries, "e0": replace(first, target_ids=first.target_ids[::-1])}
    recut = replace(distributions, entries=entries)
    with pytest.raises(SoftLabelMismatch, match="tokenise its answer 'animal' differently"):
        SoftLabelTerm(config, recut, _adapter("causal", seed=1), build_rows(_examples(), "kd"), "mine")


# ------------------------------------------------------ any tokenizer pair: sorted probabilities
def test_the_sorted_distance_by_hand_and_zero_for_a_permutation() -> None:
    teacher = torch.tensor([0.5, 0.3, 0.2]).log()
    top, tail = teacher[:2], teacher[2]  # k = 2: the third token is the tail
    student = torch.tensor([0.1, 0.6, 0.3]).log()  # sorted: 0.6, 0.3; the rest 0.1
    got = sorted_distance(student, top, tail)
    assert_close(got, torch.tensor(0.1 + 0.0 + 0.1), FORMULA, scale=1.0)
    permuted = torch.tensor([0.2, 0.5, 0.3]).log()  # the teacher's probabilities on other tokens
    assert_close(sorted_distance(permuted, top, tail), torch.tensor(0.0), FORMULA, scale=1.0)
    covering = teacher.topk(3).values  # the whole vocabulary: an empty tail
    empty_tail = torch.tensor(-torch.inf)
    assert_close(sorted_distance(permuted, covering, empty_tail), torch.tensor(0.0), FORMULA, scale=1.0)


def test_sorted_matching_is_for_next_token_distributions_without_beta() -> None:
    with pytest.raises(ValueError, match="needs over: vocabulary"):
        SoftLabelConfig(over="choices", match="sorted")
    with pytest.raises(ValueError, match="leave beta at 0"):
        SoftLabelConfig(match="sorted", beta=0.5)


def test_a_sorted_term_trains_a_student_of_another_vocabulary() -> None:
    config = SoftLabelConfig(match="sorted", weight=1.0, temperature=1.0, top_k=8)
    teacher, student = _adapter("causal", seed=0), _adapter("seq2seq", seed=1, vocab=150)
    distributions = _distributions(teacher, config)
    rows = build_rows(_examples(), "kd")
    with pytest.raises(SoftLabelMismatch, match="match: aligned or sorted"):
        SoftLabelTerm(SoftLabelConfig(top_k=8), distributions, student, rows, "student")
    soft = SoftLabelTerm(config, distributions, student, rows, "student")
    batch = _batch(student, soft, "kd")
    loss = _soft_loss(student, soft, batch)
    assert loss > 0
    (grad,) = torch.autograd.grad(loss, [student.model.get_input_embeddings().weight])
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
