"""Rationale sources, each through the registry: what it writes for a split's examples."""

from __future__ import annotations

import pytest

from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.rationales.sources import RecordsFn, SourceRequest, get_source, list_sources
from tokendistill.runtime.context import RunContext
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.tasks.example import Evidence, Example

TEXT = "story: the big dog ran home ."
EVIDENCE = (Evidence("home", 23, 27), Evidence("dog", 15, 18))
EXAMPLES = [
    Example("a", TEXT, ((7, len(TEXT)),), "pet", llm_rationale="dogs are pets.", evidence=EVIDENCE),
    Example("b", TEXT, ((7, len(TEXT)),), "pet"),
]
PIECES = [
    ("story:", 0.9, False),
    ("the", 0.1),
    ("big", 0.3),
    ("dog", 0.8),
    ("ran", 0.2),
    ("home", 0.5),
    (".", 0.7),
]
SELECTION = Selection(SelectionConfig(unit="word", filters=["punctuation"], order="input"))


@pytest.fixture
def records(make_record) -> RecordsFn:
    """Saliency (and any-method) records score PIECES as given; another method negates them."""

    def of(method: str | None, split: str):
        assert split == "train"
        scale = 1.0 if method in (None, "saliency") else -1.0
        pieces = [(t, scale * s, *rest) for t, s, *rest in PIECES]
        return [make_record(TEXT, pieces, example_id=e.id, gold=e.label) for e in EXAMPLES]

    return of


@pytest.fixture
def request_for(records: RecordsFn):
    def build(**kwargs) -> SourceRequest:
        base = dict(examples=EXAMPLES, split="train", k=2, seed=3, selection=SELECTION, records=records)
        return SourceRequest(**{**base, **kwargs})

    return build


# The settings of sources that have required ones of their own (options_model).
SOURCE_OPTIONS = {
    "generate": {"model": {"name": "tiny-causal", "tiny_size": 16, "tiny_layers": 1}, "shots": 1}
}


@pytest.mark.parametrize("name", list_sources())
def test_every_source_writes_one_rationale_per_example(name: str, request_for, tmp_path) -> None:
    source = get_source(name)
    method = "saliency" if source.needs_method else None
    options = (
        source.options_model.model_validate(SOURCE_OPTIONS.get(name, {})) if source.options_model else None
    )
    ctx = RunContext(tmp_path / "run")

    def cache(name, determinants, produce):
        return ctx.build(ctx.artifact("rationales", name, determinants), produce)

    extra = {"options": options, "cache": cache, "train_examples": EXAMPLES}
    written = source.rationales(request_for(method=method, **extra))
    assert sorted(written) == ["a", "b"]
    assert all(isinstance(text, str) for text in written.values())


def test_attribution_source_selects_the_top_k_of_its_method(request_for) -> None:
    source = get_source("attribution")
    assert source.rationales(request_for(method="saliency")) == {"a": "dog home", "b": "dog home"}
    # Another method's scores, another rationale: the source reads the method it names.
    assert source.rationales(request_for(method="ig", k=1)) == {"a": "the", "b": "the"}


def test_random_source_draws_the_analyses_random_k_from_the_eligible_pool(request_for, records) -> None:
    written = get_source("random").rationales(request_for())
    for record in records(None, "train"):
        expected = random_units(SELECTION.eligible(record), 2, 3, record.example_id)
        assert written[record.example_id] == " ".join(u.text for u in expected)
        words = written[record.example_id].split()
        assert len(words) == 2 and all(w in {"the", "big", "dog", "ran", "home"} for w in words)
    # Seeded by (seed, example id): the same example gets the same words in another request,
    # and another seed draws again.
    assert get_source("random").rationales(request_for())["a"] == written["a"]
    drawn = {get_source("random").rationales(request_for(seed=s))["a"] for s in range(12)}
    assert len(drawn) > 1


def test_word_selecting_sources_need_k_selection_and_records() -> None:
    with pytest.raises(ValueError, match="selects k >= 1 words"):
        get_source("random").rationales(SourceRequest(EXAMPLES, "train"))


def test_llm_and_gold_sources_read_the_examples() -> None:
    assert get_source("llm").rationales(SourceRequest(EXAMPLES, "train")) == {"a": "dogs are pets.", "b": ""}
    with pytest.raises(ValueError, match="llm_rationales: true"):
        get_source("llm").rationales(SourceRequest(EXAMPLES[1:], "train"))
    assert get_source("gold").rationales(SourceRequest(EXAMPLES, "train")) == {"a": "pet", "b": "pet"}


def test_oracle_source_returns_exactly_the_planted_words() -> None:
    assert get_source("oracle").rationales(SourceRequest(EXAMPLES, "train")) == {"a": "dog home", "b": ""}
    with pytest.raises(ValueError, match="evidence"):
        get_source("oracle").rationales(SourceRequest(EXAMPLES[1:], "train"))
    _, data = load_task(TaskConfig(name="synthetic", synthetic={"n_train": 50, "cues_per_example": 2}))
    written = get_source("oracle").rationales(SourceRequest(data.train, "train"))
    for example in data.train:
        planted = [example.text[i.start : i.end] for i in example.evidence]
        assert written[example.id].split() == planted and len(planted) == 2
