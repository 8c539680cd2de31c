"""Stage 4: rationale text per example, a pure function of stored scores (or another source)."""

from __future__ import annotations

from collections.abc import Sequence

from tokendistill.attribution.result import TokenAttribution
from tokendistill.config import Config, RationaleConfig
from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.select import Selection
from tokendistill.tasks import Example
from tokendistill.training.rows import gold_answer_rationales, llm_rationales, random_word_rationales


def selection_of(config: Config) -> Selection:
    return Selection(config.selection)


def attribution_rationales(
    records: Sequence[TokenAttribution], selection: Selection, k: int
) -> dict[str, str]:
    """Top-k words of every record; records with non-finite scores get an empty rationale
    (they are counted in the analyses, never ranked)."""
    return {r.example_id: selection.select(r, k, on_nonfinite="empty").text for r in records}


def rationales_for(
    config: Config,
    source: RationaleConfig,
    examples: Sequence[Example],
    records: Sequence[TokenAttribution] | None,
    seed: int,
) -> dict[str, str]:
    """Example id -> rationale text for one student's rationale source."""
    k = source.k or config.selection.k
    if source.source == "attribution":
        if records is None:
            raise ValueError(f"rationale source 'attribution' needs the {source.method!r} attributions")
        return attribution_rationales(records, selection_of(config), k)
    if source.source == "llm":
        missing = [e.id for e in examples if not e.meta.get("llm_rationale")]
        if len(missing) == len(examples):
            raise ValueError(
                "no example has an LLM rationale: set task.llm_rationales: true (DSS tasks only)"
            )
        return {
            **{e.id: "" for e in examples},
            **llm_rationales([e for e in examples if e.id not in missing]),
        }
    if source.source == "random":
        if records is not None:
            return random_rationales(records, selection_of(config), k, seed)
        return random_word_rationales(examples, k, seed=seed)
    return gold_answer_rationales(examples)


def random_rationales(
    records: Sequence[TokenAttribution], selection: Selection, k: int, seed: int
) -> dict[str, str]:
    """k random units from the same eligible pool top-k draws from (the fair control):
    same unit, filters and template exclusion, in input order, seeded per example id."""
    return {
        r.example_id: " ".join(u.text for u in random_units(selection.eligible(r), k, seed, r.example_id))
        for r in records
    }
