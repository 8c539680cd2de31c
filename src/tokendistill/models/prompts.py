"""Prompts to token ids, fitted to ``max_prompt_tokens`` by the configured truncation policy.

This is the one place a prompt is tokenised and cut, for every model and stage: the
adapter encodes through it, and the preflight measures prompts with it before any model is
loaded, so what is reported is what will happen. Special tokens (BOS, EOS, [CLS], [SEP])
and the prompt's frame (a chat template's text around it, or a decoder-only model's answer
prefix; ``prompting.py``) are always kept; the policy says which of the prompt's own tokens
go when it is too long:

* ``middle`` (default) keeps its beginning and its end, so a question stays and so do the
  answer choices a template puts last;
* ``left`` keeps the end, ``right`` keeps the beginning;
* ``error`` refuses (``PromptTooLong``).

Token offsets still point into the original prompt, so attribution of a cut prompt scores
the kept tokens at their true places.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from transformers import PreTrainedTokenizerBase

from tokendistill.errors import PromptTooLong
from tokendistill.models.prompting import PromptFrame

Truncation = Literal["error", "left", "right", "middle"]
Offset = tuple[int, int] | None


def kept_positions(special: Sequence[int], limit: int, policy: Truncation) -> list[int]:
    """Positions of a tokenised prompt (``special``: 1 for special tokens) that fit ``limit``
    tokens under ``policy``; all of them when it fits already."""
    n = len(special)
    if n <= limit:
        return list(range(n))
    lead = next((i for i, s in enumerate(special) if not s), n)
    trail = next((i for i, s in enumerate(reversed(special)) if not s), n - lead)
    body = list(range(lead, n - trail))
    budget = max(0, limit - lead - trail)
    if policy == "error":
        raise PromptTooLong(
            f"a prompt of {n} tokens is longer than max_prompt_tokens ({limit} with the model's additions) "
            "and truncation is 'error'; raise max_prompt_tokens or choose left, right or middle"
        )
    if policy == "right":
        kept = body[:budget]
    elif policy == "left":
        kept = body[len(body) - budget :]
    else:
        head = (budget + 1) // 2
        kept = body[:head] + body[len(body) - (budget - head) :]
    return [*range(lead), *kept, *range(n - trail, n)]


class PromptCutter:
    """Tokenises prompts (with character offsets) for one tokenizer and fits each to
    ``max_prompt_tokens`` (the ``frame`` around every prompt included)."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        max_prompt_tokens: int,
        truncation: Truncation,
        frame: PromptFrame | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.frame = frame or PromptFrame()
        self.limit = max(1, max_prompt_tokens - len(self.frame))
        self.truncation = truncation

    def _tokenise(self, prompts: Sequence[str]) -> dict:
        return self.tokenizer(
            list(prompts),
            add_special_tokens=self.frame.special_tokens,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
            truncation=False,
            verbose=False,  # the length is checked here, against our own limit
        )

    def lengths(self, prompts: Sequence[str]) -> list[int]:
        """Each prompt's full token count (special tokens and frame included), before cutting."""
        return [len(ids) + len(self.frame) for ids in self._tokenise(prompts)["input_ids"]]

    @property
    def max_tokens(self) -> int:
        return self.limit + len(self.frame)

    def encode(self, prompts: Sequence[str]) -> tuple[list[list[int]], list[list[Offset]]]:
        """Token ids and offsets (None for special and frame tokens) of every prompt, cut."""
        enc = self._tokenise(prompts)
        before, after = list(self.frame.before), list(self.frame.after)
        rows, offset_rows = [], []
        for ids, offs, special in zip(
            enc["input_ids"], enc["offset_mapping"], enc["special_tokens_mask"], strict=True
        ):
            keep = kept_positions(special, self.limit, self.truncation)
            rows.append([*before, *(ids[i] for i in keep), *after])
            offsets = [_offset(offs[i], special[i]) for i in keep]
            offset_rows.append([None] * len(before) + offsets + [None] * len(after))
        return rows, offset_rows


def _offset(span: Sequence[int], special: int) -> Offset:
    start, end = span
    return None if special or end <= start else (int(start), int(end))
