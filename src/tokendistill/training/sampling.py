"""Training batches of similar lengths, drawn the same way again when a run resumes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from transformers.trainer_pt_utils import LengthGroupedSampler, get_length_grouped_indices

from tokendistill.models.adapter import ModelAdapter
from tokendistill.training.rows import TrainingRow

CHUNK = 1024  # rows encoded at once to count tokens


def token_lengths(adapter: ModelAdapter, items: Sequence[tuple[TrainingRow, ...]]) -> list[int]:
    """Each item's longest row in tokens (prompt + target, as the adapter encodes them): the
    width a batch holding it is padded to at least. Characters are a poor proxy (on e-SNLI
    rows grouped by characters kept 17 % padding, by tokens 7 %)."""
    rows = [(i, row) for i, item in enumerate(items) for row in item]
    out = [0] * len(items)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        batch = adapter.encode([r.prompt for _, r in chunk], [r.target for _, r in chunk])
        tokens = (batch.prompt_mask.sum(-1) + batch.target_mask.sum(-1)).tolist()
        for (i, _), n in zip(chunk, tokens, strict=True):
            out[i] = max(out[i], n)
    return out


class LengthGroupedEpochs(LengthGroupedSampler):
    """``LengthGroupedSampler`` (random groups of 50 batches, each group sorted by length, the
    longest batch first) whose shuffle depends only on ``seed`` and the epoch: a run resumed
    from a checkpoint draws the epoch's batches exactly as the uninterrupted run did (the
    stock sampler draws from the global generator, whose state a checkpoint saves mid-epoch)."""

    def __init__(self, batch_size: int, lengths: Sequence[int], seed: int) -> None:
        super().__init__(batch_size, lengths=list(lengths))
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(get_length_grouped_indices(self.lengths, self.batch_size, generator=generator))
