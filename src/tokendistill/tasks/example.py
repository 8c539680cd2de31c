"""The unit every stage passes around: one formatted input with its content spans."""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]


@dataclass(frozen=True)
class Example:
    """One task example after formatting.

    ``text`` is what the model reads (without any task prefix such as ``predict:``).
    ``content_spans`` are half-open character ranges of ``text`` that come from the data
    (the premise, the question, a choice's words); everything else is template
    ("Answer Choices:", "(a)", separators) and is never eligible as a rationale token.
    ``label`` is the gold target text; ``choices`` the candidate answers where the task has
    a fixed set per example or per task (rank classification); ``meta`` keeps raw fields
    (e.g. the PaLM rationale, planted evidence) as plain JSON-able values.
    """

    id: str
    text: str
    content_spans: tuple[Span, ...]
    label: str
    choices: tuple[str, ...] | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        last = 0
        for start, end in self.content_spans:
            if not (last <= start < end <= len(self.text)):
                raise ValueError(
                    f"example {self.id!r}: content spans must be sorted, non-empty, non-overlapping "
                    f"and inside the text (len {len(self.text)}); got {self.content_spans}"
                )
            last = end

    def with_prefix(self, prefix: str) -> Example:
        """The same example with ``prefix`` (template) prepended and spans shifted."""
        shift = len(prefix)
        return Example(
            id=self.id,
            text=prefix + self.text,
            content_spans=tuple((s + shift, e + shift) for s, e in self.content_spans),
            label=self.label,
            choices=self.choices,
            meta=self.meta,
        )

    def is_content(self, start: int, end: int) -> bool:
        """Whether the character range [start, end) overlaps content text."""
        return any(s < end and start < e for s, e in self.content_spans)


class TemplateBuilder:
    """Builds a text from template and content pieces, tracking content spans."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._spans: list[Span] = []
        self._length = 0

    def template(self, text: str) -> TemplateBuilder:
        self._parts.append(text)
        self._length += len(text)
        return self

    def content(self, text: str) -> TemplateBuilder:
        if text:
            self._spans.append((self._length, self._length + len(text)))
            self._parts.append(text)
            self._length += len(text)
        return self

    def build(self) -> tuple[str, tuple[Span, ...]]:
        merged: list[Span] = []
        for start, end in self._spans:
            if merged and merged[-1][1] == start:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return "".join(self._parts), tuple(merged)
