"""Token heatmaps as inline HTML: each content token shaded by its normalised score.

Shared by the run's report and ``explain``'s page; it imports nothing of either.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass
class HeatmapExample:
    """One example's token scores for display."""

    example_id: str
    text: str
    offsets: list[tuple[int, int]]
    scores: list[float]
    content: list[bool]
    selected: list[tuple[int, int]]
    gold: str
    teacher_answer: str
    method: str


def render_heatmap(example: HeatmapExample) -> str:
    """The example's text with attributed tokens shaded; selected words are underlined."""
    content_scores = [abs(s) for s, c in zip(example.scores, example.content, strict=True) if c]
    top = max(content_scores, default=0.0) or 1.0
    pieces, cursor = [], 0
    for (start, end), score, is_content in zip(example.offsets, example.scores, example.content, strict=True):
        if start < cursor:
            continue
        pieces.append(html.escape(example.text[cursor:start]))
        token = html.escape(example.text[start:end])
        if is_content:
            alpha = min(1.0, abs(score) / top)
            chosen = any(s <= start and end <= e for s, e in example.selected)
            cls = ' class="sel"' if chosen else ""
            title = f"{score:.4g}"
            pieces.append(
                f'<span{cls} title="{title}" style="background: rgba(228,87,86,{alpha:.2f})">{token}</span>'
            )
        else:
            pieces.append(f'<span class="tpl">{token}</span>')
        cursor = end
    pieces.append(html.escape(example.text[cursor:]))
    body = "".join(pieces).replace("\n", "<br>")
    meta = (
        f"gold: <b>{html.escape(example.gold)}</b> · teacher: <b>{html.escape(example.teacher_answer)}</b>"
        f" · method: {html.escape(example.method)}"
    )
    return f'<div class="heat"><div class="meta">{meta}</div><div class="text">{body}</div></div>'
