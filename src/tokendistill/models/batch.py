"""Tokenised (prompt, target) batches in the one layout every stage shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch

Offset = tuple[int, int] | None


@dataclass
class EncodedBatch:
    """A padded batch of prompts and (optionally) targets.

    Shapes: ``prompt_ids``/``prompt_mask`` are [B, P]; ``target_ids``/``target_mask`` are
    [B, T] (T = 0 when no targets were given). ``prompt_offsets[b][p]`` is the character
    range of prompt token p in prompt b's string, or None for special, padding and frame
    (template) tokens the adapter adds (never attributable). Padding side of the prompt depends on
    the architecture (seq2seq: right, causal: left); targets are always right-padded.
    """

    prompt_ids: torch.Tensor
    prompt_mask: torch.Tensor
    target_ids: torch.Tensor
    target_mask: torch.Tensor
    prompt_offsets: list[list[Offset]]

    def to(self, device: torch.device | str) -> EncodedBatch:
        moved = {
            f.name: getattr(self, f.name).to(device)
            for f in fields(self)
            if isinstance(getattr(self, f.name), torch.Tensor)
        }
        return EncodedBatch(**moved, prompt_offsets=self.prompt_offsets)

    def __len__(self) -> int:
        return self.prompt_ids.shape[0]

    def select(self, rows: Sequence[int]) -> EncodedBatch:
        """A sub-batch (padding is kept as is; results are unaffected by extra padding)."""
        index = torch.as_tensor(list(rows), dtype=torch.long, device=self.prompt_ids.device)
        return EncodedBatch(
            prompt_ids=self.prompt_ids[index],
            prompt_mask=self.prompt_mask[index],
            target_ids=self.target_ids[index],
            target_mask=self.target_mask[index],
            prompt_offsets=[self.prompt_offsets[i] for i in rows],
        )

    def compact(self) -> tuple[EncodedBatch, torch.Tensor]:
        """This batch without the columns that are padding in every row (as a sub-batch of
        short rows has after ``select``), and the kept prompt columns ``[P']`` (long).

        Padding sits on one side of each row, so the kept columns are one contiguous range
        and the rows' layout (left or right padding) is unchanged.
        """
        prompt_cols = self.prompt_mask.any(0).nonzero().squeeze(-1)
        target_cols = self.target_mask.any(0).nonzero().squeeze(-1)
        kept = prompt_cols.tolist()
        compacted = EncodedBatch(
            prompt_ids=self.prompt_ids[:, prompt_cols],
            prompt_mask=self.prompt_mask[:, prompt_cols],
            target_ids=self.target_ids[:, target_cols],
            target_mask=self.target_mask[:, target_cols],
            prompt_offsets=[[row[c] for c in kept] for row in self.prompt_offsets],
        )
        return compacted, prompt_cols


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int, *, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad token-id rows to one length. Returns (ids [B, L], mask [B, L])."""
    width = max((len(r) for r in rows), default=0)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if not row:
            continue
        sl = slice(width - len(row), width) if left else slice(0, len(row))
        ids[i, sl] = torch.as_tensor(list(row), dtype=torch.long)
        mask[i, sl] = 1
    return ids, mask


def pad_offsets(rows: Sequence[list[Offset]], width: int, *, left: bool) -> list[list[Offset]]:
    """Pad per-token offset lists to ``width`` with None, on the same side as the ids."""
    out = []
    for row in rows:
        fill: list[Offset] = [None] * (width - len(row))
        out.append(fill + list(row) if left else list(row) + fill)
    return out


def token_logprobs(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """log-softmax(``logits`` [..., V]) at ``ids`` [...], in float32: [...]."""
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)


def picked_logprobs(logits: torch.Tensor, batch: EncodedBatch) -> torch.Tensor:
    """The log-probability of each target token from ``target_logits``: [B, T], 0 at padding
    (what ``target_logprobs`` returns, for a caller that needs the logits too)."""
    picked = token_logprobs(logits, batch.target_ids)
    return picked * batch.target_mask.to(picked.dtype)
