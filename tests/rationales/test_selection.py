from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Rationale, Selection, build_units

# The settings these cases were written for (token units, both filters, best score first);
# each case overrides what it is about.
BASE = {"unit": "token", "filters": ["stopwords", "punctuation"], "order": "score"}


def select(record, k: int, on_nonfinite="raise", **settings) -> Rationale:
    return Selection(SelectionConfig(**{**BASE, **settings})).select(record, k, on_nonfinite)


TEXT = "Q: the Zebras ran fast. A:"
PIECES = [
    ("Q:", 9.0, False),
    (" the", 0.1),
    (" Zeb", 0.5),
    ("ras", 0.25),
    (" ran", 0.3),
    (" fast", 0.6),
    (".", 0.7),
    (" A:", 9.0, False),
]


def test_word_units_merge_subwords_by_offsets(make_record):
    rec = make_record(TEXT, PIECES)
    units = build_units(rec, "word", "sum")
    assert [u.text for u in units] == ["the", "Zebras", "ran", "fast", "."]
    zebras = units[1]
    assert (zebras.start, zebras.end) == (TEXT.index("Zebras"), TEXT.index("Zebras") + 6)
    assert zebras.score == 0.75 and zebras.tokens == (2, 3)
    assert build_units(rec, "word", "max")[1].score == 0.5


def test_token_units_trim_whitespace_and_keep_casing(make_record):
    rec = make_record(TEXT, PIECES)
    units = build_units(rec, "token", "sum")
    assert [u.text for u in units] == ["the", "Zeb", "ras", "ran", "fast", "."]
    assert units[1].start == TEXT.index("Zeb")


def test_sum_vs_max_changes_ranking(make_record):
    rec = make_record(TEXT, PIECES)
    assert select(rec, 1, unit="word", word_agg="sum").words == ("Zebras",)
    assert select(rec, 1, unit="word", word_agg="max").words == ("fast",)


def test_filters_stopwords_and_punctuation(make_record):
    rec = make_record(TEXT, PIECES)
    filtered = select(rec, 10, unit="word")
    assert filtered.words == ("Zebras", "fast", "ran")
    unfiltered = select(rec, 10, unit="word", filters=[])
    assert unfiltered.words == ("Zebras", ".", "fast", "ran", "the")
    only_punct = select(rec, 10, unit="word", filters=["punctuation"])
    assert "the" in only_punct.words and "." not in only_punct.words


def test_template_tokens_never_selected(make_record):
    rec = make_record(TEXT, PIECES)
    for unit in ("token", "word"):
        r = select(rec, 10, unit=unit, filters=[])
        assert not {"Q", "Q:", "A", "A:"} & set(r.words)


def test_punctuation_split_off_attached_word(make_record):
    one_token = make_record("a dog.", [("a", 0.0), (" dog.", 1.0)])
    assert [u.text for u in build_units(one_token, "word", "sum")] == ["a", "dog", "."]
    assert select(one_token, 2, unit="word").words == ("dog",)
    assert select(one_token, 1, unit="token", filters=[]).words == ("dog.",)
    two_tokens = make_record("a dog.", [("a", 0.0), (" dog", 1.0), (".", 5.0)])
    units = build_units(two_tokens, "word", "sum")
    assert [(u.text, u.score) for u in units] == [("a", 0.0), ("dog", 1.0), (".", 5.0)]


def test_word_internal_marks_and_numbers_stay_whole(make_record):
    text = "well-known costs 3.5 and 1,000 don't"
    pieces = [("well", 1), ("-", 1), ("known", 1), (" costs", 1), (" 3", 1), (".", 1), ("5", 1)]
    pieces += [(" and", 1), (" 1", 1), (",", 1), ("000", 1), (" don", 1), ("'t", 1)]
    rec = make_record(text, pieces)
    words = [u.text for u in build_units(rec, "word", "sum")]
    assert words == ["well-known", "costs", "3.5", "and", "1,000", "don't"]


def test_template_between_content_splits_words(make_record):
    rec = make_record("dog.cat", [("dog", 1.0), (".", 9.0, False), ("cat", 2.0)])
    assert [u.text for u in build_units(rec, "word", "sum")] == ["dog", "cat"]


def test_keep_numbers_overrides_filters(make_record):
    rec = make_record("two 7 the", [("two", 3.0), (" 7", 2.0), (" the", 1.0)])
    stop = frozenset({"two", "the"})
    kept = select(rec, 5, stopwords=sorted(stop))
    assert kept.words == ("two", "7")
    dropped = select(rec, 5, stopwords=sorted(stop), keep_numbers=False)
    assert dropped.words == ("7",)


def test_order_score_vs_input(make_record):
    rec = make_record(TEXT, PIECES)
    by_score = select(rec, 3, unit="word")
    by_input = select(rec, 3, unit="word", order="input")
    assert by_score.words == ("Zebras", "fast", "ran")
    assert by_input.words == ("Zebras", "ran", "fast")
    assert by_input.scores == (0.75, 0.3, 0.6)
    assert list(by_input.spans) == sorted(by_input.spans)


def test_ties_broken_by_input_position(make_record):
    rec = make_record("cat dog emu", [("cat", 1.0), (" dog", 2.0), (" emu", 2.0)])
    assert select(rec, 1).words == ("dog",)
    assert select(rec, 3).words == ("dog", "emu", "cat")


def test_dedupe_keeps_best_occurrence_and_counts_distinct(make_record):
    text = "dog saw the Dog bark"
    rec = make_record(text, [("dog", 1.0), (" saw", 0.5), (" the", 0.1), (" Dog", 2.0), (" bark", 0.2)])
    deduped = select(rec, 2)
    assert deduped.words == ("Dog", "saw")
    assert deduped.spans[0] == (text.index("Dog"), text.index("Dog") + 3)
    assert select(rec, 2, dedupe=False).words == ("Dog", "dog")


def test_k_bounds(make_record):
    rec = make_record(TEXT, PIECES)
    assert len(select(rec, 0)) == 0
    assert len(select(rec, 100, unit="word")) == 3
    with pytest.raises(ValueError):
        select(rec, -1)


def test_nonfinite_raise_or_flagged_empty(make_record):
    rec = make_record("a big dog", [("a", 1.0), (" big", math.nan), (" dog", 2.0)])
    assert not rec.finite
    with pytest.raises(ValueError, match="non-finite"):
        select(rec, 2)
    empty = select(rec, 2, on_nonfinite="empty")
    assert empty.words == () and empty.finite is False
    # NaN on a template token does not make the record non-finite
    ok = make_record("Q: dog", [("Q:", math.nan, False), (" dog", 1.0)])
    assert select(ok, 1).words == ("dog",)


def test_rationale_text_joins_with_spaces(make_record):
    rec = make_record(TEXT, PIECES)
    assert select(rec, 3, unit="word", order="input").text == "Zebras ran fast"
    assert select(rec, 2, unit="token").text == "fast Zeb"


def test_selection_settings_validate_and_serialise():
    with pytest.raises(ValidationError):
        SelectionConfig(unit="char")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SelectionConfig(filters=["numbers"])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        SelectionConfig(filters="stopwords")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="extra"):
        SelectionConfig(top_k=3)  # type: ignore[call-arg]
    selection = Selection(SelectionConfig(filters=["stopwords", "punctuation", "stopwords"]))
    assert selection.as_dict()["filters"] == ["punctuation", "stopwords"]


def test_selection_defaults_are_the_pipelines():
    """One home for the defaults: a bare Selection is the pipeline's (words, punctuation
    only, input order), not a second set of its own."""
    from tokendistill.config import Config

    assert Config.model_fields["selection"].default_factory() == SelectionConfig()
    assert Selection(SelectionConfig()).as_dict() == {
        "unit": "word",
        "word_agg": "sum",
        "filters": ["punctuation"],
        "keep_numbers": True,
        "order": "input",
        "dedupe": True,
        "stopwords": None,
    }
