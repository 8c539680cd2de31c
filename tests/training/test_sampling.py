"""Batches grouped by length: every example once per epoch, less padding than a random order,
both of an encoder-decoder's widths kept narrow, the same batches for the same seed and epoch
(so a resumed run draws what it drew), and the trainer using them only when asked."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import torch
from torch.utils.data import RandomSampler

from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows
from tokendistill.training.arguments import training_arguments
from tokendistill.training.data import ExampleRowsDataset
from tokendistill.training.modes import label_prompts
from tokendistill.training.run import _trainer
from tokendistill.training.sampling import (
    LengthGroupedEpochs,
    answer_classes,
    length_grouped_order,
    split_by_widths,
)

rng = random.Random(0)
LENGTHS = [rng.randint(5, 200) for _ in range(2000)]
WIDTHS = [(n,) for n in LENGTHS]


def padded(order: list[int], batch: int) -> int:
    """Positions a batch computes: its longest item times its size."""
    chunks = [order[i : i + batch] for i in range(0, len(order), batch)]
    return sum(max(LENGTHS[i] for i in c) * len(c) for c in chunks)


def test_every_example_once_with_less_padding_and_the_same_draw_per_seed_and_epoch() -> None:
    sampler = LengthGroupedEpochs(8, WIDTHS, seed=3)
    first = list(sampler)
    assert sorted(first) == list(range(len(LENGTHS)))
    shuffled = list(range(len(LENGTHS)))
    random.Random(1).shuffle(shuffled)
    assert padded(first, 8) < 0.6 * padded(shuffled, 8)
    assert list(LengthGroupedEpochs(8, WIDTHS, seed=3)) == first  # a resumed run's epoch 0
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and sorted(second) == sorted(first)
    again = LengthGroupedEpochs(8, WIDTHS, seed=3)
    again.set_epoch(1)
    assert list(again) == second


def test_batches_come_in_random_order_the_longest_first_a_partial_one_last() -> None:
    lengths = LENGTHS[:203]  # one group of 25 full batches and a partial one of 3
    order = length_grouped_order([(n,) for n in lengths], 8, torch.Generator().manual_seed(0))
    batches = [order[i : i + 8] for i in range(0, len(order), 8)]
    assert sorted(order) == list(range(203)) and [len(b) for b in batches] == [8] * 25 + [3]
    assert max(lengths) in [lengths[i] for i in batches[0]]
    widths = [max(lengths[i] for i in b) for b in batches[1:25]]
    assert widths != sorted(widths, reverse=True) and widths != sorted(widths)  # not a curriculum
    within = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches[:25])
    assert within < 25 * 8  # each full batch spans a narrow band of lengths (they range over 195)


def test_two_widths_are_both_kept_narrow() -> None:
    """Prompts and targets that vary independently (an encoder-decoder pads each to its own
    longest): splitting on the wider span keeps both narrow, where sorting by their sum puts a
    long prompt with a short target beside a short prompt with a long one."""
    pairs = [(rng.randint(5, 100), rng.randint(1, 100)) for _ in range(400)]

    def computed(batches: list[list[int]]) -> int:
        return sum(len(b) * (max(pairs[i][0] for i in b) + max(pairs[i][1] for i in b)) for b in batches)

    batches = split_by_widths(list(range(400)), pairs, 16)
    assert sorted(i for b in batches for i in b) == list(range(400)) and {len(b) for b in batches} == {16}
    by_sum = sorted(range(400), key=lambda i: sum(pairs[i]))
    real = sum(p + t for p, t in pairs)
    assert computed(batches) - real < 0.5 * (computed([by_sum[i : i + 16] for i in range(0, 400, 16)]) - real)
    odd = split_by_widths(list(range(203)), [(n,) for n in LENGTHS[:203]], 8)
    assert [len(b) for b in odd] == [8] * 25 + [3]  # whole batches, then the rest
    widths = [max(LENGTHS[i] for i in b) for b in odd]
    assert widths == sorted(widths, reverse=True)  # one width: a sort cut into consecutive batches


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
        assert sampler.widths == [(int(b.prompt_mask.sum() + b.target_mask.sum()),) for b in encoded]
    else:
        assert isinstance(sampler, RandomSampler)


def test_an_encoder_decoder_is_grouped_by_its_prompt_and_target_widths(toy, tmp_path) -> None:
    config = TrainingConfig(batch_size=8, group_by_length=True, eval_mode="rank")
    adapter = make_adapter(tiny_seq2seq(toy.toy_tokenizer()), toy.toy_tokenizer())
    rows = build_rows(toy.TRAIN, "multitask", rationales={e.id: e.text for e in toy.TRAIN})
    valid = (toy.VALID, label_prompts(toy.VALID, "standard"))
    trainer = _trainer(
        adapter, training_arguments(config, tmp_path, seed=5), rows, valid, toy.ExactMatch(), config, []
    )
    sampler = trainer._get_train_sampler()
    by_example: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        b = adapter.encode([r.prompt], [r.target])
        by_example.setdefault(r.example_id, []).append((int(b.prompt_mask.sum()), int(b.target_mask.sum())))
    expected = [(max(p for p, _ in v), max(t for _, t in v)) for v in by_example.values()]
    assert sorted(sampler.widths) == sorted(expected) and len(sampler.widths) == len(toy.TRAIN)


def test_batches_keep_the_answer_classes_mix_where_the_label_shows_in_the_length() -> None:
    """Three classes whose lengths differ on average (as e-SNLI's do): grouped by length alone,
    batches lean to one class; keeping the classes' mix, each batch holds them in their shares
    at little more padding."""
    gen = random.Random(4)
    classes = [gen.randrange(3) for _ in range(1600)]
    lengths = [max(1, int(gen.gauss(30 + 6 * c, 8))) for c in classes]
    widths = [(n,) for n in lengths]

    def largest_share(order: list[int]) -> float:
        batches = [order[i : i + 16] for i in range(0, len(order), 16)]
        return sum(max(sum(classes[i] == c for i in b) for c in range(3)) / 16 for b in batches) / len(
            batches
        )

    def computed(order: list[int]) -> int:
        return sum(16 * max(lengths[i] for i in order[s : s + 16]) for s in range(0, len(order), 16))

    alone = length_grouped_order(widths, 16, torch.Generator().manual_seed(0))
    mixed = length_grouped_order(widths, 16, torch.Generator().manual_seed(0), classes)
    shuffled = list(range(1600))
    random.Random(0).shuffle(shuffled)
    assert sorted(mixed) == list(range(1600))
    assert largest_share(alone) > largest_share(shuffled) + 0.05
    assert largest_share(mixed) < largest_share(shuffled) + 0.02  # no lean to one class
    assert computed(mixed) < 0.85 * computed(shuffled)  # still grouped by length
    sampler = LengthGroupedEpochs(16, widths, seed=2, classes=classes)
    assert list(sampler) == list(LengthGroupedEpochs(16, widths, seed=2, classes=classes))


def test_answer_classes_are_the_label_rows_answers_of_a_classification_task(toy) -> None:
    items = ExampleRowsDataset(build_rows(toy.TRAIN, "standard"))
    classes = answer_classes([items[i] for i in range(len(items))])
    labels = sorted({e.label for e in toy.TRAIN})
    assert classes == [labels.index(e.label) for e in toy.TRAIN]
    two_task = ExampleRowsDataset(
        build_rows(toy.TRAIN, "multitask", rationales={e.id: e.text for e in toy.TRAIN})
    )
    assert answer_classes([two_task[i] for i in range(len(two_task))]) is None  # grouped by rationale width
    generative = [(replace(r, target=str(i)),) for i, r in enumerate(build_rows(toy.TRAIN, "standard"))]
    assert answer_classes(generative) is None  # every answer its own: nothing to keep mixed
