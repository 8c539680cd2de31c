"""The unit every stage passes around: one formatted input with its content spans.

What packages share about an example is a typed field, not a ``meta`` key: the planted
``evidence`` (written by the synthetic task, read by the ``oracle`` source and the evidence
analysis), the synthetic task's ``shortcut`` word, and the LLM's ``llm_rationale`` /
``llm_label`` (attached by DSS and custom tasks, read by the ``llm`` source). ``meta`` keeps
only the task's own free-form fields. The prepare artifact stores the typed fields inside its
``meta`` JSON under the same keys as before (``stored_meta`` / ``from_stored``), so stored
splits read back unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

Span = tuple[int, int]
# Keys of the stored ``meta`` JSON that hold the typed fields (and that ``meta`` may not use).
SHARED_KEYS = ("evidence", "shortcut", "llm_rationale", "llm_label")


@dataclass(frozen=True)
class Evidence:
    """A word known to decide the label (planted or annotated): its text and its half-open
    character span in the example's ``text``."""

    word: str
    start: int
    end: int


@dataclass(frozen=True)
class Shortcut:
    """The synthetic task's shortcut word, its span in ``text``, and whether it names the
    example's own label (``agrees``) or a random one."""

    word: str
    agrees: bool
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    """One task example after formatting.

    ``text`` is what the model reads (without any task prefix such as ``predict:``).
    ``content_spans`` are half-open character ranges of ``text`` that come from the data
    (the premise, the question, a choice's words); everything else is template
    ("Answer Choices:", "(a)", separators) and is never eligible as a rationale token.
    ``label`` is the gold target text; ``choices`` the candidate answers where the task has
    a fixed set per example or per task (rank classification); ``meta`` keeps the task's own
    raw fields (e.g. a dataset row number) as plain JSON-able values. ``evidence``,
    ``shortcut``, ``llm_rationale`` and ``llm_label`` are what other packages read (module
    docstring); ``None`` / empty where the task has none. Like ``meta``, they take no part in
    equality.
    """

    id: str
    text: str
    content_spans: tuple[Span, ...]
    label: str
    choices: tuple[str, ...] | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)
    evidence: tuple[Evidence, ...] = field(default=(), compare=False)
    shortcut: Shortcut | None = field(default=None, compare=False)
    llm_rationale: str | None = field(default=None, compare=False)
    llm_label: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        taken = sorted(set(SHARED_KEYS) & set(self.meta))
        if taken:
            raise ValueError(
                f"example {self.id!r}: meta key(s) {taken} are Example fields now; set those instead"
            )
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
        return replace(
            self,
            text=prefix + self.text,
            content_spans=tuple((s + shift, e + shift) for s, e in self.content_spans),
            evidence=tuple(replace(ev, start=ev.start + shift, end=ev.end + shift) for ev in self.evidence),
            shortcut=self.shortcut
            and replace(self.shortcut, start=self.shortcut.start + shift, end=self.shortcut.end + shift),
        )

    def is_content(self, start: int, end: int) -> bool:
        """Whether the character range [start, end) overlaps content text."""
        return any(s < end and start < e for s, e in self.content_spans)

    def stored_meta(self) -> dict[str, Any]:
        """``meta`` with the typed fields that are set, under ``SHARED_KEYS`` (plain JSON-able
        values): how the prepare artifact stores them."""
        stored = dict(self.meta)
        if self.evidence:
            stored["evidence"] = [asdict(ev) for ev in self.evidence]
        if self.shortcut is not None:
            stored["shortcut"] = asdict(self.shortcut)
        for key in ("llm_rationale", "llm_label"):
            if getattr(self, key) is not None:
                stored[key] = getattr(self, key)
        return stored

    @classmethod
    def from_stored(cls, meta: dict[str, Any], **fields: Any) -> Example:
        """The example whose ``stored_meta()`` is ``meta``; ``fields`` are the others."""
        own = {k: v for k, v in meta.items() if k not in SHARED_KEYS}
        shortcut = meta.get("shortcut")
        return cls(
            **fields,
            meta=own,
            evidence=tuple(Evidence(**ev) for ev in meta.get("evidence") or ()),
            shortcut=Shortcut(**shortcut) if shortcut is not None else None,
            llm_rationale=meta.get("llm_rationale"),
            llm_label=meta.get("llm_label"),
        )


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
