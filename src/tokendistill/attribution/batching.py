"""Sort keys of attribution inputs from their token lengths, for length-sorted batches
(``tokendistill.runtime.batching.map_batches``): similar costs together."""

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
