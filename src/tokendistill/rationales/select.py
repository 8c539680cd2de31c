"""Rationale selection: a pure function of a stored ``TokenAttribution``.

Selection never touches a model, so the same attribution artifact can be re-selected with
any k, unit or filter (k-sweeps, ablations) without recomputing attributions. The settings
(and their defaults) are a ``rationales.config.SelectionConfig``; ``Selection`` applies one.

Units
-----
``unit="token"``: every content token is a unit; its text is ``text[start:end]`` with
surrounding whitespace trimmed (a sub-word piece such as ``"ing"`` stays a piece).

``unit="word"``: content tokens whose (whitespace-trimmed) character spans touch or overlap,
i.e. have no character between them, form one chunk; each chunk is then cut into words and
punctuation runs with ``_UNIT_RE``. Decision: punctuation attached to a word is split off as
its own unit (``"dog."`` → ``"dog"``, ``"."``), so ``"dog"`` and ``"dog."`` are the same
word and the punctuation filter can drop the dot. Word-internal marks stay inside the word
(``"don't"``, ``"well-known"``, ``"U.S"``, ``"3.5"``, ``"1,000"``, ``"3:30"``). A word's
score aggregates the scores of the tokens overlapping it (``word_agg="sum"`` or ``"max"``);
a token that straddles a word and its punctuation counts towards both.

Only content tokens are ever eligible, so template text never enters a rationale, and a word
only contains characters of content tokens. Units are ranked by raw score, descending (the
attribution stage decides signs and aggregation), ties broken by input position. Records
whose content scores are not all finite are refused (``on_nonfinite="raise"``) or returned
empty with ``finite=False`` (``"empty"``); they are never ranked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.text import is_number, is_punctuation, normalize_word, normalized_stopwords

__all__ = [
    "Rationale",
    "Selection",
    "Unit",
    "build_units",
    "content_token_spans",
]

Span = tuple[int, int]
UnitKind = Literal["token", "word"]
WordAgg = Literal["sum", "max"]
Order = Literal["score", "input"]
OnNonFinite = Literal["raise", "empty"]


# A word (with internal apostrophes, hyphens, dots, and digit-only , : /) or a punctuation run.
_UNIT_RE = re.compile(r"\w+(?:(?:['’.\-]|(?<=\d)[,:/](?=\d))\w+)*|[^\w\s]+")


@dataclass(frozen=True)
class Unit:
    """A selectable piece of content: its text, half-open char span, score and token indices."""

    text: str
    start: int
    end: int
    score: float
    tokens: tuple[int, ...]


@dataclass(frozen=True)
class Rationale:
    """The selected units of one example, in the requested order."""

    example_id: str
    words: tuple[str, ...]
    spans: tuple[Span, ...]
    scores: tuple[float, ...]
    finite: bool = True

    @property
    def text(self) -> str:
        """The words joined by single spaces (tokenizer-independent student target)."""
        return " ".join(self.words)

    def __len__(self) -> int:
        return len(self.words)


def _trimmed(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def content_token_spans(record: TokenAttribution) -> list[tuple[int, int, int]]:
    """(start, end, index) of content tokens, spans whitespace-trimmed, empty ones dropped,
    in input order."""
    out = []
    for i, ((s, e), is_content) in enumerate(zip(record.offsets, record.content, strict=True)):
        if not is_content:
            continue
        s, e = _trimmed(record.text, s, e)
        if s < e:
            out.append((s, e, i))
    out.sort()
    return out


def build_units(record: TokenAttribution, unit: UnitKind, word_agg: WordAgg) -> list[Unit]:
    """All content units of ``record`` in input order, unfiltered (see the module docstring)."""
    toks = content_token_spans(record)
    text, scores = record.text, record.scores
    if unit == "token":
        return [Unit(text[s:e], s, e, float(scores[i]), (i,)) for s, e, i in toks]
    if unit != "word":
        raise ValueError(f"unit must be 'token' or 'word', got {unit!r}")
    if word_agg not in ("sum", "max"):
        raise ValueError(f"word_agg must be 'sum' or 'max', got {word_agg!r}")

    chunks: list[list[tuple[int, int, int]]] = []
    chunk_end = -1
    for tok in toks:
        if chunks and tok[0] <= chunk_end:
            chunks[-1].append(tok)
            chunk_end = max(chunk_end, tok[1])
        else:
            chunks.append([tok])
            chunk_end = tok[1]

    units: list[Unit] = []
    for chunk in chunks:
        c_start = chunk[0][0]
        c_end = max(e for _, e, _ in chunk)
        for m in _UNIT_RE.finditer(text, c_start, c_end):
            us, ue = m.span()
            members = tuple(i for s, e, i in chunk if s < ue and us < e)
            vals = [float(scores[i]) for i in members]
            score = sum(vals) if word_agg == "sum" else max(vals)
            units.append(Unit(m.group(), us, ue, score, tuple(sorted(members))))
    return units


class Selection:
    """Selection settings ready to apply, built from a ``SelectionConfig`` only.

    The config is the one home of the defaults; this class only normalises it (sorted,
    de-duplicated filters; a frozen stopword set) and ranks units. ``k`` stays an argument
    of every call so one selection serves a whole k-sweep.
    """

    def __init__(self, config: SelectionConfig) -> None:
        self.config = config
        self.unit: UnitKind = config.unit
        self.word_agg: WordAgg = config.word_agg
        self.filters: tuple[str, ...] = tuple(sorted(set(config.filters)))
        self.keep_numbers = config.keep_numbers
        self.order: Order = config.order
        self.dedupe = config.dedupe
        self.stopwords: frozenset[str] | None = (
            None if config.stopwords is None else frozenset(config.stopwords)
        )
        # id(record) -> (record, eligible units, ranked units); the record is kept so its id
        # cannot be reused by another record while the entry lives.
        self._cache: dict[int, tuple[TokenAttribution, tuple[Unit, ...], tuple[Unit, ...]]] = {}

    @cached_property
    def _stop(self) -> frozenset[str]:
        return normalized_stopwords(self.stopwords)

    def as_dict(self) -> dict:
        """JSON-able settings (for table rows, metadata and ``stable_hash``)."""
        return {
            "unit": self.unit,
            "word_agg": self.word_agg,
            "filters": list(self.filters),
            "keep_numbers": self.keep_numbers,
            "order": self.order,
            "dedupe": self.dedupe,
            "stopwords": None if self.stopwords is None else sorted(self.stopwords),
        }

    def _filtered(self, text: str) -> bool:
        if self.keep_numbers and is_number(text):
            return False
        if "punctuation" in self.filters and is_punctuation(text):
            return True
        return "stopwords" in self.filters and normalize_word(text) in self._stop

    def eligible(self, record: TokenAttribution) -> list[Unit]:
        """Units that pass the filters, in input order (the pool for top-k and random-k)."""
        return list(self._units(record)[0])

    def ranked(self, record: TokenAttribution) -> list[Unit]:
        """Eligible units best first (ties: earlier input first); deduped if asked.

        Dedupe keeps the best-ranked occurrence of each case-insensitive text, so k counts
        distinct words. ``ranked(r)[:k]`` is the score-ordered top-k for every k, which lets a
        k-sweep rank once. Caller must check ``record.finite``.
        """
        return list(self._units(record)[1])

    def _units(self, record: TokenAttribution) -> tuple[tuple[Unit, ...], tuple[Unit, ...]]:
        """(eligible, ranked) units of ``record``, built once per record for the life of this
        selection: the analyses ask for them at every k, method pair and random draw
        (records are never changed in place)."""
        cached = self._cache.get(id(record))
        if cached is not None and cached[0] is record:
            return cached[1], cached[2]
        units = build_units(record, self.unit, self.word_agg)
        eligible = tuple(u for u in units if not self._filtered(u.text))
        ranked = sorted(eligible, key=lambda u: (-u.score, u.start, u.end))
        if self.dedupe:
            seen: set[str] = set()
            distinct = []
            for u in ranked:
                key = u.text.casefold()
                if key not in seen:
                    seen.add(key)
                    distinct.append(u)
            ranked = distinct
        self._cache[id(record)] = (record, eligible, tuple(ranked))
        return eligible, tuple(ranked)

    def top_units(
        self, record: TokenAttribution, k: int, on_nonfinite: OnNonFinite = "raise"
    ) -> list[Unit] | None:
        """The selected units in the requested order; ``None`` for a non-finite record."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        if on_nonfinite not in ("raise", "empty"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'empty', got {on_nonfinite!r}")
        if not record.finite:
            if on_nonfinite == "raise":
                raise ValueError(f"example {record.example_id!r} has non-finite content scores")
            return None
        chosen = self.ranked(record)[:k]
        if self.order == "input":
            chosen.sort(key=lambda u: (u.start, u.end))
        return chosen

    def select(self, record: TokenAttribution, k: int, on_nonfinite: OnNonFinite = "raise") -> Rationale:
        """The top-``k`` rationale of ``record`` (fewer when fewer units are eligible)."""
        units = self.top_units(record, k, on_nonfinite)
        if units is None:
            return Rationale(record.example_id, (), (), (), finite=False)
        return Rationale(
            record.example_id,
            tuple(u.text for u in units),
            tuple((u.start, u.end) for u in units),
            tuple(u.score for u in units),
        )
