"""Batched work that backs off on out-of-memory: the one place the project cuts work into batches.

* ``BatchSizer``: a fixed batch size, or ``auto``: start at a size, halve it whenever a batch
  runs out of memory (accelerate's test of the error), and keep the size that fit. The work
  it runs must resume where it failed, so nothing is dropped or done twice.
* ``map_batches``: work over length-sorted batches (similar lengths together, so little
  compute goes to padding), one result per item in item order.
* ``each_batch`` / ``map_in_order``: work over consecutive slices, in input order.

Every function takes a ``BatchSizer`` or a plain setting (a size, or ``auto``); a fixed size
gives exactly the batches a hand-written ``range(0, n, size)`` loop gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

import torch
from accelerate.utils.memory import clear_device_cache, should_reduce_batch_size

AUTO = "auto"
AUTO_START = 64  # examples per batch that ``batch_size: auto`` tries first
BatchSize = int | Literal["auto"]
T = TypeVar("T")
ADVICE = "set the teacher's gradient_checkpointing: true or precision: bf16"


class BatchSizer:
    """Runs batched work at a fixed size, or (``auto``) at the largest size that fits.

    ``auto`` starts at ``start`` and halves on every out-of-memory error; the size that last
    fit is kept for the next call, so a long run searches once.
    """

    def __init__(self, setting: BatchSize, start: int = AUTO_START, *, advice: str = ADVICE) -> None:
        self.auto = setting == AUTO
        self.size = start if self.auto else int(setting)
        self.advice = advice  # what to change when even one item does not fit

    def run(self, work: Callable[[int], T], most: int | None = None) -> T:
        """``work(size)``; with ``auto``, called again at half the size after an out-of-memory
        error, so ``work`` must skip what earlier calls finished. ``most``: no larger size can
        matter to ``work`` (e.g. its number of items), so an ``auto`` search starts there.
        Out of memory at size 1 ends the search with an error that says what to change."""
        while True:
            size = self.size if most is None or not self.auto else max(1, min(self.size, most))
            try:
                return work(size)
            except RuntimeError as err:
                if not (self.auto and should_reduce_batch_size(err)):
                    raise
                if size == 1:
                    raise torch.OutOfMemoryError(
                        f"the work does not fit in memory even one at a time; {self.advice}"
                    ) from err
            clear_device_cache(garbage_collection=True)  # the failed batch's tensors are gone now
            self.size = size // 2


def sizer_of(setting: BatchSizer | BatchSize) -> BatchSizer:
    """``setting`` itself if it is a ``BatchSizer``, else a sizer of that setting."""
    return setting if isinstance(setting, BatchSizer) else BatchSizer(setting)


def map_batches(
    sizer: BatchSizer | BatchSize, keys: Sequence[tuple[int, ...]], work: Callable[[list[int]], Sequence[T]]
) -> list[T]:
    """``work(rows)`` over length-sorted batches of the indices of ``keys`` (see
    ``length_sorted_batches``), at ``sizer``'s size; one result per index, in index order.
    After an out-of-memory back-off only the indices not done yet are batched again, so none
    is dropped or done twice."""
    results: dict[int, T] = {}

    def run_pending(batch_size: int) -> None:
        pending = [i for i in range(len(keys)) if i not in results]
        for plan in length_sorted_batches([keys[i] for i in pending], batch_size):
            rows = [pending[j] for j in plan]
            for i, result in zip(rows, work(rows), strict=True):
                results[i] = result

    sizer_of(sizer).run(run_pending, most=len(keys))
    return [results[i] for i in range(len(keys))]


def length_sorted_batches(keys: Sequence[tuple[int, ...]], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of ``batch_size``, longest first.

    Longest first makes an out-of-memory batch fail at once rather than hours in. Ties keep
    input order, so the plan is deterministic.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(keys)), key=lambda i: (tuple(-k for k in keys[i]), i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def each_batch(sizer: BatchSizer | BatchSize, n: int, work: Callable[[slice], object]) -> None:
    """``work(rows)`` over consecutive slices of ``range(n)``, in order, at ``sizer``'s size;
    ``work`` keeps its own results. After an out-of-memory back-off the slices start at the
    first row not done yet."""
    done = 0

    def run_pending(batch_size: int) -> None:
        nonlocal done
        for start in range(done, n, batch_size):
            rows = slice(start, min(start + batch_size, n))
            work(rows)
            done = rows.stop

    sizer_of(sizer).run(run_pending, most=n)


def map_in_order(sizer: BatchSizer | BatchSize, n: int, work: Callable[[slice], Sequence[T]]) -> list[T]:
    """``work(rows)`` over consecutive slices of ``range(n)`` (see ``each_batch``): one result
    per row, in row order."""
    results: list[T] = []

    def collect(rows: slice) -> None:
        out = work(rows)
        if len(out) != rows.stop - rows.start:
            raise ValueError(f"a batch of {rows.stop - rows.start} rows gave {len(out)} results")
        results.extend(out)

    each_batch(sizer, n, collect)
    return results
