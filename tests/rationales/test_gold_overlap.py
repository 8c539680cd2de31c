from __future__ import annotations

import math

import pytest

from tokendistill.rationales.analysis import gold_answer_words, gold_overlap, is_hit, k_sweep
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection

WORD = Selection(SelectionConfig(unit="word", filters=["stopwords", "punctuation"], order="score"))


def _recs(make_record):
    text = "Q: Where is the Eiffel Tower? A:"
    pieces = [("Q:", 0, False), (" Where", 0.1), (" is", 0.2), (" the", 0.3), (" E", 0.4), ("iffel", 0.4)]
    pieces += [(" Tower", 0.5), ("?", 0.9), (" A:", 9, False)]
    return [
        # hit at k=1 (tower is top word), teacher right
        make_record(text, pieces, example_id="a", gold="the Eiffel tower.", teacher_correct=True),
        # hit only from k=2 on: top is "Rome" (":" is filtered), then "Paris" (gold)
        make_record(
            "Rome: Paris now",
            [("Rome", 3.0), (":", 5.0), (" Paris", 2.0), (" now", 1.0)],
            example_id="b",
            gold="PARIS!",
            teacher_correct=False,
        ),
        # never a hit, teacher wrong
        make_record(
            "cats purr", [("cats", 1.0), (" purr", 2.0)], example_id="c", gold="dogs", teacher_correct=False
        ),
    ]


def test_gold_answer_words_normalise_and_drop_stopwords():
    assert gold_answer_words("The Eiffel Tower.") == {"eiffel", "tower"}
    assert gold_answer_words("it") == {"it"}  # all stopwords: kept
    assert gold_answer_words("Don't stop") == {"stop"}  # "don't" → "dont" is a stopword too
    assert gold_answer_words("?!") == frozenset()
    assert gold_answer_words("well-known") == {"wellknown"}


def test_is_hit_normalises_selected_words():
    assert is_hit(["Tower"], frozenset({"tower"}))
    assert is_hit(["U.S."], frozenset({"us"}))
    assert not is_hit(["Towers"], frozenset({"tower"}))


def test_overlap_counts_and_right_wrong_split(make_record):
    recs = _recs(make_record)
    r1 = gold_overlap(recs, 1, WORD)
    assert (r1.n, r1.hits, r1.n_right, r1.hits_right, r1.n_wrong, r1.hits_wrong) == (3, 1, 1, 1, 2, 0)
    assert r1.overlap == pytest.approx(1 / 3) and r1.overlap_right == 1.0 and r1.overlap_wrong == 0.0
    r2 = gold_overlap(recs, 2, WORD)
    assert (r2.hits, r2.hits_right, r2.hits_wrong) == (2, 1, 1)
    assert r2.overlap_wrong == 0.5
    assert r2.mean_selected == 2.0


def test_stopword_only_gold_can_hit_when_stopwords_selectable(make_record):
    rec = make_record("is it here", [("is", 0.1), (" it", 2.0), (" here", 1.0)], gold="It")
    assert gold_overlap([rec], 1, WORD).hits == 0  # "it" filtered as a stopword from selection
    assert gold_overlap([rec], 1, Selection(SelectionConfig(unit="word", filters=[]))).hits == 1


def test_nonfinite_excluded_and_empty_gold_is_a_miss(make_record):
    bad = make_record("a dog", [("a", math.inf), (" dog", 1.0)], example_id="bad", gold="dog")
    empty_gold = make_record("a dog", [("a", 0.0), (" dog", 1.0)], example_id="e", gold="...")
    res = gold_overlap([bad, empty_gold], 3, WORD)
    assert (res.n, res.n_nonfinite, res.n_no_gold_words, res.hits) == (1, 1, 1, 0)
    none = gold_overlap([], 1, WORD)
    assert none.overlap is None and none.overlap_right is None and none.mean_selected is None


def test_k_sweep_matches_single_k(make_record):
    recs = _recs(make_record)
    sweep = k_sweep(recs, range(1, 11), WORD)
    assert [r.k for r in sweep] == list(range(1, 11))
    for res in sweep:
        assert res == gold_overlap(recs, res.k, WORD)
    assert sweep[-1].hits == 2
    row = sweep[0].as_dict()
    assert row["overlap"] == pytest.approx(1 / 3) and row["k"] == 1
