"""Word-level text helpers shared by selection and the analyses.

A small built-in stopword list keeps the tool offline (no nltk download) and makes results
reproducible: the list is part of the code, not of whatever corpus version is installed.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "NUMBER_WORDS",
    "STOPWORDS",
    "is_number",
    "is_punctuation",
    "normalize_word",
    "normalized_stopwords",
    "words_of",
]

# The classic NLTK English list (179 words), written out so selection needs no download.
_STOPWORDS_TEXT = """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them their
    theirs themselves what which who whom this that that'll these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below
    to from up down in out on off over under again further then once here there when where why
    how all any both each few more most other some such no nor not only own same so than too
    very s t can will just don don't should should've now d ll m o re ve y ain aren aren't
    couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma
    mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't weren
    weren't won won't wouldn wouldn't
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS_TEXT.split())

# Spelled-out numbers count as numbers for ``keep_numbers`` (a custom stopword list may hold them).
_NUMBER_WORDS_TEXT = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million billion trillion first second third fourth fifth sixth
    seventh eighth ninth tenth half twice
"""
NUMBER_WORDS: frozenset[str] = frozenset(_NUMBER_WORDS_TEXT.split())


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("P", "S")


def is_punctuation(text: str) -> bool:
    """True when ``text`` has no letter or digit (``"."``, ``"?!"``, ``"--"``, ``""``)."""
    return not any(ch.isalnum() for ch in text)


def is_number(text: str) -> bool:
    """True for anything with a digit (``"1990"``, ``"3.5"``, ``"5%"``) or a spelled-out number."""
    return any(ch.isdigit() for ch in text) or normalize_word(text) in NUMBER_WORDS


def normalize_word(text: str) -> str:
    """Lowercase and delete punctuation and symbol characters (Unicode categories P*, S*).

    Characters are deleted, not replaced by spaces, so one word stays one word:
    ``"Don't"`` → ``"dont"``, ``"well-known"`` → ``"wellknown"``, ``"U.S."`` → ``"us"``.
    """
    return "".join(ch for ch in text.casefold() if not _is_punct_or_symbol(ch)).strip()


def words_of(text: str) -> list[str]:
    """Normalised whitespace-separated words of ``text``, empty ones dropped."""
    return [w for w in (normalize_word(tok) for tok in text.split()) if w]


def normalized_stopwords(stopwords: frozenset[str] | None = None) -> frozenset[str]:
    """``stopwords`` (default ``STOPWORDS``) passed through ``normalize_word``.

    Matching is done on normalised forms so ``"Don't"``, ``"don't"`` and ``"dont"`` agree.
    """
    if stopwords is None:
        return _NORMALIZED_STOPWORDS
    return frozenset(w for w in map(normalize_word, stopwords) if w)


_NORMALIZED_STOPWORDS = frozenset(w for w in map(normalize_word, STOPWORDS) if w)
