"""Length-sorted batches: similar lengths together, so little compute goes to padding."""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase


def token_lengths(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> list[int]:
    """Token count of each text (special tokens included; no truncation)."""
    if not texts:
        return []
    return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=True)["input_ids"]]


def sort_keys(
    tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], targets: Sequence[str], *, per_step: bool
) -> list[tuple[int, int]]:
    """Keys that group (prompt, target) pairs of similar cost, from their token lengths.

    A batch costs about ``B * L_max`` for one forward/backward (``L = P + T``), so sequence
    mode groups by total length. Per-step mode runs ``1 + 2 * T_max`` passes over the batch,
    every row taking part in every step, so it groups by target length first: measured on
    64 SVAMP inputs (SmolLM2 tokens, batch 16) this cuts the compute spent on padding and
    finished rows from 1.68x to 1.37x of the ideal.
    """
    pairs = zip(token_lengths(tokenizer, prompts), token_lengths(tokenizer, targets), strict=True)
    if per_step:
        return [(t, p + t) for p, t in pairs]
    return [(p + t, t) for p, t in pairs]


def length_sorted_batches(keys: Sequence[tuple[int, ...]], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of ``batch_size``, longest first.

    Longest first makes an out-of-memory batch fail at once rather than hours in. Ties keep
    input order, so the plan is deterministic.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(keys)), key=lambda i: (tuple(-k for k in keys[i]), i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
