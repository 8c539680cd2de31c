"""Batches grouped by length: every example once per epoch, less padding than a random order,
the same batches for the same seed and epoch (so a resumed run draws what it drew), and the
trainer using them only when asked."""

from __future__ import annotations

import random

import pytest
import torch
from torch.utils.data import RandomSampler

from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import tiny_causal
from tokendistill.training import TrainingConfig, build_rows
from tokendistill.training.arguments import training_arguments
from tokendistill.training.modes import label_prompts
from tokendistill.training.run import _trainer
from tokendistill.training.sampling import LengthGroupedEpochs, length_grouped_order

rng = random.Random(0)
LENGTHS = [rng.randint(5, 200) for _ in range(2000)]


def padded(order: list[int], batch: int) -> int:
    """Positions a batch computes: its longest item times its size."""
    chunks = [order[i : i + batch] for i in range(0, len(order), batch)]
    return sum(max(LENGTHS[i] for i in c) * len(c) for c in chunks)


def test_every_example_once_with_less_padding_and_the_same_draw_per_seed_and_epoch() -> None:
    sampler = LengthGroupedEpochs(8, LENGTHS, seed=3)
    first = list(sampler)
    assert sorted(first) == list(range(len(LENGTHS)))
    shuffled = list(range(len(LENGTHS)))
    random.Random(1).shuffle(shuffled)
    assert padded(first, 8) < 0.6 * padded(shuffled, 8)
    assert list(LengthGroupedEpochs(8, LENGTHS, seed=3)) == first  # a resumed run's epoch 0
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and sorted(second) == sorted(first)
    again = LengthGroupedEpochs(8, LENGTHS, seed=3)
    again.set_epoch(1)
    assert list(again) == second


def test_batches_come_in_random_order_the_longest_first_a_partial_one_last() -> None:
    lengths = LENGTHS[:203]  # one group of 25 full batches and a partial one of 3
    order = length_grouped_order(lengths, 8, torch.Generator().manual_seed(0))
    batches = [order[i : i + 8] for i in range(0, len(order), 8)]
    assert sorted(order) == list(range(203)) and [len(b) for b in batches] == [8] * 25 + [3]
    assert max(lengths) in [lengths[i] for i in batches[0]]
    widths = [max(lengths[i] for i in b) for b in batches[1:25]]
    assert widths != sorted(widths, reverse=True) and widths != sorted(widths)  # not a curriculum
    within = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches[:25])
    assert within < 25 * 8  # each full batch spans a narrow band of lengths (they range over 195)


@pytest.mark.parametrize("group_by_length", [False, True])
def test_the_trainer_groups_only_when_asked(toy, tmp_path, group_by_length: bool) -> None:
    config = TrainingConfig(batch_size=8, group_by_length=group_by_length, eval_mode="rank")
    adapter = make_adapter(tiny_causal(toy.toy_tokenizer()), toy.toy_tokenizer())
    rows = build_rows(toy.TRAIN, "standard")
    valid = (toy.VALID, label_prompts(toy.VALID, "standard"))
    args = training_arguments(config, tmp_path, seed=5)
    trainer = _trainer(adapter, args, rows, valid, toy.ExactMatch(), config, [])
    sampler = trainer._get_train_sampler()
    if group_by_length:
        assert isinstance(sampler, LengthGroupedEpochs) and sampler.seed == 5
        encoded = [adapter.encode([r.prompt], [r.target]) for r in rows]  # one row per item
        assert sampler.lengths == [int(b.prompt_mask.sum() + b.target_mask.sum()) for b in encoded]
    else:
        assert isinstance(sampler, RandomSampler)
