"""The packed two-task loss equals the two-pass DSS loss: on tensors, on a tiny model's
batch, and across the micro-batches of one accumulated optimizer step in the Trainer."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows, packed_task_loss, task_token_counts
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.losses import task_nll_sums
from tolerances import BATCHING, FORMULA, assert_close
from trainer_steps import toy_trainer

ALPHA = 0.3


def _hf_token_mean_ce(logits: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hugging Face's seq2seq loss: token-mean CE, padding labelled -100 (what DSS uses per task)."""
    labels = labels.masked_fill(mask == 0, -100)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def _random_batch(seed: int, rows: int = 7, width: int = 5, vocab: int = 11):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(rows, width, vocab, generator=gen, requires_grad=True)
    labels = torch.randint(0, vocab, (rows, width), generator=gen)
    lengths = torch.randint(1, width + 1, (rows,), generator=gen)
    mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
    tasks = torch.tensor([0, 1, 0, 0, 1, 1, 0][:rows])
    return logits, labels, mask, tasks


def _packed(logits, labels, mask, tasks, counts=None):
    logprobs = torch.log_softmax(logits, -1).gather(-1, labels[..., None])[..., 0] * mask
    weights = torch.where(tasks == 0, ALPHA, 1 - ALPHA)
    counts = task_token_counts(mask, tasks, 2) if counts is None else counts
    return packed_task_loss(logprobs, mask, weights, tasks, counts)


def _two_pass(logits, labels, mask, tasks):
    pred, expl = tasks == 0, tasks == 1
    return ALPHA * _hf_token_mean_ce(logits[pred], labels[pred], mask[pred]) + (
        1 - ALPHA
    ) * _hf_token_mean_ce(logits[expl], labels[expl], mask[expl])


@pytest.mark.parametrize("seed", range(5))
def test_packed_equals_two_pass_on_tensors(seed):
    logits, labels, mask, tasks = _random_batch(seed)
    assert_close(_packed(logits, labels, mask, tasks), _two_pass(logits, labels, mask, tasks), FORMULA)


def test_micro_batches_with_step_wide_counts_sum_to_the_full_batch_loss():
    logits, labels, mask, tasks = _random_batch(0)
    full = _two_pass(logits, labels, mask, tasks)
    (full_grad,) = torch.autograd.grad(full, logits)
    counts = task_token_counts(mask, tasks, 2)
    parts = [slice(0, 2), slice(2, 3), slice(3, 7)]  # one micro-batch has no explain row at all
    summed = sum(_packed(logits[s], labels[s], mask[s], tasks[s], counts) for s in parts)
    (summed_grad,) = torch.autograd.grad(summed, logits)
    assert_close(summed, full, FORMULA, "loss")
    assert_close(summed_grad, full_grad, FORMULA, "gradient")


def test_single_task_is_the_token_mean_and_an_empty_task_adds_nothing():
    logits, labels, mask, _ = _random_batch(1)
    tasks = torch.zeros(len(labels), dtype=torch.long)
    logprobs = torch.log_softmax(logits, -1).gather(-1, labels[..., None])[..., 0]
    loss = packed_task_loss(logprobs, mask, torch.ones(len(tasks)), tasks, task_token_counts(mask, tasks, 2))
    assert_close(loss, _hf_token_mean_ce(logits, labels, mask), FORMULA)
    assert task_token_counts(mask, tasks, 2)[1] == 0


def _tiny_adapter(toy, arch):
    tokenizer = toy.toy_tokenizer()
    build = tiny_seq2seq if arch == "seq2seq" else tiny_causal
    return make_adapter(build(tokenizer, seed=3), tokenizer)


def _rows(toy, n=8):
    examples = toy.TRAIN[:n]
    return build_rows(
        examples, "multitask", rationales=toy.animal_rationales(examples), options={"alpha": ALPHA}
    )


def _task_batches(adapter, rows, task):
    return [adapter.encode([r.prompt], [r.target]) for r in rows if r.task == task]


def _task_mean(adapter, rows) -> torch.Tensor:
    batch = adapter.encode([r.prompt for r in rows], [r.target for r in rows])
    return -adapter.target_logprobs(batch).sum() / batch.target_mask.sum()


def _two_pass_model_loss(adapter, rows):
    return ALPHA * _task_mean(adapter, [r for r in rows if r.task == 0]) + (1 - ALPHA) * _task_mean(
        adapter, [r for r in rows if r.task == 1]
    )


@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_packed_equals_two_pass_on_a_tiny_model(toy, arch):
    adapter, rows = _tiny_adapter(toy, arch), _rows(toy)
    inputs = RowCollator(adapter)(ExampleRowsDataset(rows))
    batch_logprobs = adapter.target_logprobs(
        adapter.encode([r.prompt for r in rows], [r.target for r in rows])
    )
    counts = task_token_counts(inputs["target_mask"], inputs["row_task"], 2)
    packed = packed_task_loss(
        batch_logprobs, inputs["target_mask"], inputs["row_weight"], inputs["row_task"], counts
    )
    assert_close(packed, _two_pass_model_loss(adapter, rows), BATCHING)
    if arch == "seq2seq":  # an independent reference: the model's own `labels` loss per task
        hf = []
        for task in (0, 1):
            sub = [r for r in rows if r.task == task]
            batch = adapter.encode([r.prompt for r in sub], [r.target for r in sub])
            labels = batch.target_ids.masked_fill(batch.target_mask == 0, -100)
            hf.append(
                adapter.model(
                    input_ids=batch.prompt_ids, attention_mask=batch.prompt_mask, labels=labels
                ).loss
            )
        assert_close(packed, ALPHA * hf[0] + (1 - ALPHA) * hf[1], BATCHING)


@pytest.mark.parametrize("by_task", [False, True], ids=["packed", "by-task"])
@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_trainer_normalises_over_accumulated_micro_batches(toy, arch, by_task, tmp_path):
    """get_batch_samples counts tokens over the whole step; the micro-batch losses (and
    gradients) then add up to the two-pass loss of the step's examples as one batch, whether
    both tasks share a padded batch or each task has its own (the trainer's layout)."""
    adapter, rows = _tiny_adapter(toy, arch), _rows(toy)
    trainer = toy_trainer(toy, adapter, tmp_path, config=TrainingConfig(grad_accumulation=2))
    items = ExampleRowsDataset(rows)
    collate = RowCollator(adapter, by_task=by_task)
    micro = [collate([items[i] for i in range(3)]), collate([items[i] for i in range(3, 8)])]
    samples, counts = trainer.get_batch_samples(iter(micro), 2, trainer.args.device)
    expected = [sum(int(r.target_mask.sum()) for r in _task_batches(adapter, rows, t)) for t in (0, 1)]
    assert len(samples) == 2 and counts.tolist() == expected

    model = adapter.model
    summed = sum(trainer.compute_loss(model, batch, num_items_in_batch=counts) for batch in samples)
    summed_grads = torch.autograd.grad(summed, list(model.parameters()))
    reference = _two_pass_model_loss(adapter, rows)
    reference_grads = torch.autograd.grad(reference, list(model.parameters()))
    assert_close(summed, reference, BATCHING, "loss")
    for got, want in zip(summed_grads, reference_grads, strict=True):
        assert_close(got, want, BATCHING, "gradient")


def test_task_nll_sums_over_token_counts_are_each_tasks_token_mean_ce():
    logits, labels, mask, tasks = _random_batch(3)
    logprobs = torch.log_softmax(logits, -1).gather(-1, labels[..., None])[..., 0]
    means = task_nll_sums(logprobs, mask, tasks, 2) / task_token_counts(mask, tasks, 2)
    for task in (0, 1):
        rows = tasks == task
        expected = _hf_token_mean_ce(logits[rows], labels[rows], mask[rows])
        assert_close(means[task], expected, FORMULA)
