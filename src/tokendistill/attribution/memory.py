"""Fitting attribution into memory: recomputed activations and batch sizes that back off.

* ``checkpointed``: gradient checkpointing for attribution. transformers checkpoints its
  blocks only in training mode, but attribution runs in eval mode (no dropout: deterministic
  scores), so each block's forward is wrapped here instead: only the block's inputs are kept
  for the backward pass, which recomputes the rest. Non-reentrant checkpointing passes
  gradients to the input embeddings although every parameter is frozen, and the recomputed
  forward is the same computation, so scores do not change.
* ``BatchSizer``: a fixed batch size, or ``auto``: start at a size, halve it whenever a batch
  runs out of memory (accelerate's test of the error), and keep the size that fit. The work
  it runs must resume where it failed (``map_batches`` does), so nothing is dropped or done
  twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal, TypeVar

import torch
from accelerate.utils.memory import clear_device_cache, should_reduce_batch_size
from torch.utils.checkpoint import checkpoint
from transformers.modeling_layers import GradientCheckpointingLayer

from tokendistill.attribution.batching import length_sorted_batches

AUTO = "auto"
AUTO_START = 64  # examples per batch that ``batch_size: auto`` tries first
BatchSize = int | Literal["auto"]
T = TypeVar("T")


@contextmanager
def checkpointed(model: torch.nn.Module, enabled: bool = True) -> Iterator[None]:
    """Every transformer block of ``model`` recomputes its activations in the backward pass
    inside (when ``enabled``); the blocks' own ``forward`` is restored on exit, also on error."""
    if not enabled:
        yield
        return
    blocks = [m for m in model.modules() if isinstance(m, GradientCheckpointingLayer)]
    if not blocks:
        raise ValueError(
            f"{type(model).__name__} has no blocks transformers can checkpoint; "
            "set gradient_checkpointing: false for this model"
        )
    # An instance may carry its own forward already (accelerate's offloading hooks): keep it.
    own = [(block, block.__dict__.get("forward")) for block in blocks]
    try:
        for block in blocks:
            block.forward = _recomputing(block.forward)
        yield
    finally:
        for block, forward in own:
            if forward is None:
                del block.forward
            else:
                block.forward = forward


def _recomputing(forward: Callable) -> Callable:
    def run(*args, **kwargs):
        if not torch.is_grad_enabled():
            return forward(*args, **kwargs)
        return checkpoint(forward, *args, use_reentrant=False, **kwargs)

    return run


class BatchSizer:
    """Runs batched work at a fixed size, or (``auto``) at the largest size that fits.

    ``auto`` starts at ``start`` and halves on every out-of-memory error; the size that last
    fit is kept for the next call, so a long run searches once.
    """

    def __init__(self, setting: BatchSize, start: int) -> None:
        self.auto = setting == AUTO
        self.size = start if self.auto else int(setting)

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
                        "attribution does not fit in memory even one at a time; set the "
                        "teacher's gradient_checkpointing: true or precision: bf16"
                    ) from err
            clear_device_cache(garbage_collection=True)  # the failed batch's tensors are gone now
            self.size = size // 2


def map_batches(
    sizer: BatchSizer, keys: Sequence[tuple[int, ...]], work: Callable[[list[int]], Sequence[T]]
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

    sizer.run(run_pending, most=len(keys))
    return [results[i] for i in range(len(keys))]
