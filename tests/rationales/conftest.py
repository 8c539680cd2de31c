"""Hand-made attribution records: tokens are located in the text left to right."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from tokendistill.attribution.result import TokenAttribution

Piece = tuple[str, float] | tuple[str, float, bool]


def build_record(
    text: str,
    pieces: Sequence[Piece],
    *,
    example_id: str = "ex",
    gold: str = "",
    teacher_correct: bool = True,
    split: str = "train",
) -> TokenAttribution:
    """A record whose tokens are ``pieces`` (token text, score[, is_content]) found in order.

    A token text may carry a leading space ("▁"-style tokenizers): its offsets then include
    the space, as real offset mappings often do.
    """
    tokens, offsets, content, scores = [], [], [], []
    pos = 0
    for piece in pieces:
        tok, score = piece[0], piece[1]
        is_content = piece[2] if len(piece) == 3 else True
        start = text.index(tok, pos)
        end = start + len(tok)
        tokens.append(tok)
        offsets.append((start, end))
        content.append(is_content)
        scores.append(float(score))
        pos = end
    return TokenAttribution(
        example_id=example_id,
        split=split,
        text=text,
        tokens=tokens,
        offsets=offsets,
        content=content,
        scores=scores,
        target=gold,
        teacher_answer=gold if teacher_correct else "other",
        gold=gold,
        teacher_correct=teacher_correct,
    )


@pytest.fixture
def make_record() -> Callable[..., TokenAttribution]:
    return build_record
