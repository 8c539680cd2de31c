"""Batches that back off on out-of-memory: fixed sizes give the batches of a plain loop, an
``auto`` size halves until the work fits, and nothing is dropped or done twice; every batch
loop of the project backs off when given an ``auto`` sizer."""

from __future__ import annotations

import pytest
import torch

from tokendistill.evaluation.predict import predict_answers
from tokendistill.models import answer_scores
from tokendistill.runtime.batching import BatchSizer, each_batch, map_batches, map_in_order
from tokendistill.stages.analyze import answer_logprobs

OOM = "CUDA out of memory. Tried to allocate 2.00 GiB"


def test_a_failure_halfway_redoes_only_what_is_pending() -> None:
    done: list[int] = []
    sizes: list[int] = []

    def work(rows: list[int]) -> list[int]:
        sizes.append(len(rows))
        if len(done) >= 4 and len(rows) > 2:  # memory runs out after the first batch
            raise torch.OutOfMemoryError(f"{OOM} (simulated)")
        done.extend(rows)
        return [10 * i for i in rows]

    keys = [(n,) for n in (5, 9, 1, 7, 3, 8, 2, 6, 4, 0)]
    out = map_batches(BatchSizer("auto", start=4), keys, work)
    assert out == [10 * i for i in range(len(keys))]
    assert sorted(done) == list(range(len(keys)))  # each once
    assert sizes == [4, 4, 2, 2, 2]


def test_other_errors_and_fixed_sizes_never_retry() -> None:
    attempts: list[int] = []

    def oom(size: int) -> None:
        attempts.append(size)
        raise RuntimeError(OOM)

    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        BatchSizer(8, start=64).run(oom)
    assert attempts == [8]
    with pytest.raises(ValueError, match="bad"):
        BatchSizer("auto", start=8).run(lambda size: (_ for _ in ()).throw(ValueError("bad")))
    attempts.clear()
    with pytest.raises(torch.OutOfMemoryError, match="gradient_checkpointing: true") as err:
        BatchSizer("auto", start=4).run(oom)
    assert attempts == [4, 2, 1] and OOM in str(err.value.__cause__)


def test_fixed_sizes_give_the_batches_of_a_plain_loop() -> None:
    seen: list[tuple[int, int]] = []
    out = map_in_order(
        3, 8, lambda rows: seen.append((rows.start, rows.stop)) or list(range(rows.start, rows.stop))
    )
    assert out == list(range(8))
    assert seen == [(start, min(start + 3, 8)) for start in range(0, 8, 3)]
    each_batch(5, 0, lambda rows: pytest.fail("no rows, no batch"))
    with pytest.raises(ValueError, match="gave 1 results"):
        map_in_order(2, 4, lambda rows: [0])


def test_in_order_batches_resume_at_the_first_row_not_done() -> None:
    sizes: list[int] = []

    def work(rows: slice) -> list[int]:
        sizes.append(rows.stop - rows.start)
        if rows.start >= 4 and rows.stop - rows.start > 1:
            raise torch.OutOfMemoryError(OOM)
        return [i * i for i in range(rows.start, rows.stop)]

    assert map_in_order(BatchSizer("auto", start=4), 7, work) == [i * i for i in range(7)]
    assert sizes == [4, 3, 2, 1, 1, 1]  # 3 rows left at size 4, then 2, then one at a time


def oom_above(rows: int):
    def check(n: int) -> None:
        if n > rows:
            raise RuntimeError(OOM)

    return check


def test_faithfulness_scores_back_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The analysis's scorer halves its batch of texts on out-of-memory and hands each text's
    answers back in input order (each answer's log-probability here: minus the length of
    text + answer; more than one text at once runs out of memory)."""
    check = oom_above(1)

    def fake_scores(adapter, texts, answers):
        check(len(texts))
        return [
            [(-float(len(t + a)), len(a)) for a in group] for t, group in zip(texts, answers, strict=True)
        ]

    monkeypatch.setattr(answer_scores, "answer_logprobs", fake_scores)
    texts, answers = [f"text{'x' * i}" for i in range(5)], ["a", "bb", "a", "ccc", "a"]
    sizer = BatchSizer("auto", start=4)
    got = answer_logprobs(object(), sizer)([*texts, texts[0]], [*answers, "dd"])
    expected = [
        (-float(len(t + a)), len(a)) for t, a in zip([*texts, texts[0]], [*answers, "dd"], strict=True)
    ]
    assert got == expected
    assert sizer.size == 1


class FakeAdapter:
    """Answers a prompt with its length; generation over more than one prompt runs out of memory."""

    class model:
        training = False

        @staticmethod
        def eval() -> None: ...

        @staticmethod
        def train(mode: bool) -> None: ...

    def generate(self, prompts: list[str], max_new_tokens: int) -> list[str]:
        oom_above(1)(len(prompts))
        return [str(len(p)) for p in prompts]


def test_predictions_back_off_and_keep_the_input_order() -> None:
    prompts = ["aaa", "a", "aaaaa", "aa"]
    answers = predict_answers(
        FakeAdapter(),
        [None] * 4,
        prompts,
        None,
        mode="generate",
        batch_size=BatchSizer("auto", 4),
        max_new_tokens=1,
    )
    assert answers == ["3", "1", "5", "2"]
