"""Where a training run's wall time goes, and how much of what it computes is padding.

The trainer times its parts (``DistillTrainer``): forward and backward of every micro-batch,
collating rows into batches, validation, checkpoint writes; ``train_model`` times the whole
``Trainer.train`` call, the test prediction and the final save. What no timer covers
("other": optimizer steps, the data loader, logging, callbacks) is the difference. On an
accelerator each timed part ends with a synchronisation, so queued kernels count where they
were launched.

Padding: a batch of B rows computes B × (P + T) positions, P and T its padded prompt and
target widths, in either layout (a decoder-only model's one sequence of P + T, an
encoder-decoder model's P encoder and T decoder positions). The tokens the rows hold are the
masks' sums; the rest is padding. A padding-free batch (``padding_free``) computes only them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from tokendistill.training.data import batch_parts

PROFILE = "profile.json"
PARTS = ("forward_backward", "collate", "evaluate", "checkpoint", "test_predict", "save_model")


@dataclass
class TrainingProfile:
    """Seconds per part, the run's total, and the computed and real token counts of the
    training batches."""

    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    started: float = field(default_factory=time.perf_counter)
    total: float = 0.0
    computed_tokens: int = 0
    real_tokens: int = 0
    steps: int = 0

    @contextmanager
    def timed(self, part: str, *, sync: bool = True) -> Iterator[None]:
        """Add the block's wall time to ``part``; ``sync``: wait for the accelerator's queued
        work first (off for host-only work, which must not absorb the device's)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            if sync and torch.accelerator.is_available():
                torch.accelerator.synchronize()
            self.seconds[part] += time.perf_counter() - start

    def finish(self, steps: int) -> None:
        """The run is over after ``steps`` optimizer steps: its total is the time since the
        profile was made (with the Trainer)."""
        self.total, self.steps = time.perf_counter() - self.started, steps

    def count(self, batch: Mapping, *, flat: bool = False) -> None:
        """Add one collated training batch's computed and real token counts (over its parts
        when each task is batched apart); ``flat``: computed without padding."""
        for part in batch_parts(batch):
            prompt, target = part["prompt_mask"], part["target_mask"]
            real = int(prompt.sum()) + int(target.sum())
            self.computed_tokens += real if flat else prompt.numel() + target.numel()
            self.real_tokens += real

    def to_json(self) -> dict:
        timed = sum(self.seconds.values())
        return {
            "total_seconds": self.total,
            "seconds": {**self.seconds, "other": max(0.0, self.total - timed)},
            "optimizer_steps": self.steps,
            "computed_tokens": self.computed_tokens,
            "real_tokens": self.real_tokens,
            "padding_share": 1 - self.real_tokens / self.computed_tokens if self.computed_tokens else 0.0,
            "tokens_per_second": (
                self.real_tokens / self.seconds["forward_backward"]
                if self.seconds["forward_backward"]
                else 0.0
            ),
        }


class ProfiledCollator:
    """A collator that times itself into ``profile`` (in the training process: the Trainer's
    data loader runs without worker processes by default). The trainer counts the tokens of
    the batches it computes."""

    def __init__(self, collator: Callable[[Sequence], dict], profile: TrainingProfile) -> None:
        self.collator = collator
        self.profile = profile

    def __call__(self, items: Sequence) -> dict:
        with self.profile.timed("collate", sync=False):
            return self.collator(items)
