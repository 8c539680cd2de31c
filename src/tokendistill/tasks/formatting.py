"""Input texts of the built-in tasks, laid out as DSS lays them out, with content spans.

The template words ("Answer Choices:", "(a) ", "Premise: ") are never content, so a
rationale selector can never pick them; the data's own words (premise, hypothesis,
question, each choice, the SVAMP body and question) are.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokendistill.tasks.example import Span, TemplateBuilder
from tokendistill.tasks.metrics import CHOICE_LETTERS

NLI_LABELS: tuple[str, ...] = ("entailment", "neutral", "contradiction")


def nli_text(premise: str, hypothesis: str, *, join_with: str | None = None) -> tuple[str, tuple[Span, ...]]:
    """``"Premise: ...\\nHypothesis: ..."``, or DSS's plain ``premise + join_with + hypothesis``.

    DSS joins with the tokenizer's EOS string; we do not know the tokenizer here, so the
    labelled template is the default and the join (with a configurable separator) is opt-in.
    """
    builder = TemplateBuilder()
    if join_with is None:
        builder.template("Premise: ").content(premise).template("\nHypothesis: ").content(hypothesis)
    else:
        builder.content(premise).template(join_with).content(hypothesis)
    return builder.build()


def cqa_text(question: str, choices: Sequence[str]) -> tuple[str, tuple[Span, ...]]:
    """DSS's ``f'{question}\\nAnswer Choices:\\n(a) {c0}\\n(b) {c1}...'``."""
    if len(choices) > len(CHOICE_LETTERS):
        raise ValueError(f"{len(choices)} choices, but only {len(CHOICE_LETTERS)} letters")
    builder = TemplateBuilder().content(question).template("\nAnswer Choices:")
    for letter, choice in zip(CHOICE_LETTERS[: len(choices)], choices, strict=True):
        builder.template(f"\n({letter}) ").content(choice)
    return builder.build()


def svamp_text(body: str, question: str) -> tuple[str, tuple[Span, ...]]:
    """DSS's ``Body + "\\n" + Question`` (just the body when there is no question)."""
    builder = TemplateBuilder().content(body)
    if question:
        builder.template("\n").content(question)
    return builder.build()


def split_svamp_input(text: str) -> tuple[str, str]:
    """(body, question) of a DSS ``svamp_*.json`` input; no newline means all body."""
    body, sep, question = text.rpartition("\n")
    return (body, question) if sep else (text, "")
