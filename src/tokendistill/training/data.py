"""Training rows as a torch Dataset, and the collator that packs them through the adapter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch.utils.data import Dataset

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch
from tokendistill.training.losses import task_token_counts
from tokendistill.training.rows import TASK_NAMES, TrainingRow
from tokendistill.training.terms import LossTerm

BATCH_KEYS = ("prompt_ids", "prompt_mask", "target_ids", "target_mask")


class ExampleRowsDataset(Dataset):
    """One item per example: the tuple of its rows (1 in 'standard'/'hints', 2 in 'multitask').

    Grouping keeps both DSS tasks of an example in the same micro-batch, as DSS does, so a
    batch of ``batch_size`` items holds ``batch_size`` predict rows and as many explain rows.
    Items are in order of first appearance of each example id.
    """

    def __init__(self, rows: Sequence[TrainingRow]) -> None:
        groups: dict[str, list[TrainingRow]] = {}
        for row in rows:
            groups.setdefault(row.example_id, []).append(row)
        self._items = [tuple(group) for group in groups.values()]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> tuple[TrainingRow, ...]:
        return self._items[index]


class RowCollator:
    """Flattens a list of items into one padded batch (``adapter.encode``) plus per-row
    ``row_weight`` [B] (float) and ``row_task`` [B] (long). Character offsets are dropped:
    training never needs them. Each of the mode's loss ``terms`` adds what it needs (a
    soft-label term: the teacher's distributions of the batch's label rows).

    ``by_task``: one batch per task present instead (``{"parts": [batch, ...]}`` in task
    order), each padded to its own longest row, as Distilling Step-by-Step runs a forward
    pass per task: a short predict row no longer pads to a long explain row. The loss is the
    same (every term adds up over rows, normalised by the step's token counts per task);
    ``batch_parts`` reads either form.
    """

    def __init__(
        self, adapter: ModelAdapter, terms: Sequence[LossTerm] = (), *, by_task: bool = False
    ) -> None:
        self.adapter = adapter
        self.terms = list(terms)
        self.by_task = by_task

    def __call__(self, items: Sequence[tuple[TrainingRow, ...]]) -> dict:
        rows = [row for item in items for row in item]
        if not self.by_task:
            return self.collate_rows(rows)
        tasks = sorted({row.task for row in rows})
        return {"parts": [self.collate_rows([r for r in rows if r.task == task]) for task in tasks]}

    def collate_rows(self, rows: Sequence[TrainingRow]) -> dict[str, torch.Tensor]:
        """``rows`` as one padded batch."""
        batch = self.adapter.encode([r.prompt for r in rows], [r.target for r in rows])
        out = {key: getattr(batch, key) for key in BATCH_KEYS}
        out["row_weight"] = torch.tensor([r.weight for r in rows], dtype=torch.float32)
        out["row_task"] = torch.tensor([r.task for r in rows], dtype=torch.long)
        for term in self.terms:
            term.collate(rows, out, self.adapter, batch)
        return out


def batch_parts(batch: Mapping) -> list[Mapping[str, torch.Tensor]]:
    """The padded batches a collated batch holds: its ``parts`` (``by_task``), or itself."""
    return list(batch["parts"]) if "parts" in batch else [batch]


def batch_token_counts(batch: Mapping) -> torch.Tensor:
    """[K] target tokens per task over every part of a collated batch."""
    parts = batch_parts(batch)
    return torch.stack(
        [task_token_counts(p["target_mask"], p["row_task"], len(TASK_NAMES)) for p in parts]
    ).sum(0)


def as_encoded_batch(inputs: dict[str, torch.Tensor]) -> EncodedBatch:
    """The collated dict back as an EncodedBatch (offsets empty: unused by forward passes)."""
    return EncodedBatch(**{key: inputs[key] for key in BATCH_KEYS}, prompt_offsets=[])
