"""Evidence hit rate on hand-made records with known evidence spans."""

from __future__ import annotations

import math

from tokendistill.rationales.analysis import evidence_hits
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection

WORD = Selection(SelectionConfig(unit="word", filters=["punctuation"]))


def test_hit_when_a_selected_word_overlaps_the_evidence(make_record) -> None:
    text = "the cat sat here"
    hit = make_record(text, [("the", 0.1), ("cat", 0.9), ("sat", 0.2), ("here", 0.3)], example_id="a")
    miss = make_record(text, [("the", 0.9), ("cat", 0.0), ("sat", 0.8), ("here", 0.3)], example_id="b")
    evidence = {"a": [(4, 7)], "b": [(4, 7)]}
    top1 = evidence_hits([hit, miss], evidence, 1, WORD, seed=0)
    assert (top1.n, top1.hits, top1.hit_rate) == (2, 1, 0.5)
    top4 = evidence_hits([hit, miss], evidence, 4, WORD, seed=0)
    assert top4.hits == 2 and top4.random_hits == 2  # k covers every word: random-k hits too


def test_records_without_evidence_are_ignored_and_nonfinite_counted(make_record) -> None:
    ok = make_record("a dog", [("a", 0.1), ("dog", 1.0)], example_id="ok")
    bad = make_record("a dog", [("a", math.nan), ("dog", 1.0)], example_id="bad")
    other = make_record("a dog", [("a", 0.1), ("dog", 1.0)], example_id="no-evidence")
    result = evidence_hits([ok, bad, other], {"ok": [(2, 5)], "bad": [(2, 5)]}, 1, WORD, seed=0)
    assert (result.n, result.hits, result.n_nonfinite) == (1, 1, 1)


def test_random_rate_is_seeded_and_order_independent(make_record) -> None:
    records = [
        make_record(
            f"w{i} x y z q",
            [(f"w{i}", 1.0), ("x", 0.0), ("y", 0.0), ("z", 0.0), ("q", 0.0)],
            example_id=str(i),
        )
        for i in range(40)
    ]
    evidence = {str(i): [(0, len(f"w{i}"))] for i in range(40)}
    forward = evidence_hits(records, evidence, 1, WORD, seed=7)
    backward = evidence_hits(records[::-1], evidence, 1, WORD, seed=7)
    assert forward.random_hits == backward.random_hits
    assert forward.hit_rate == 1.0 and 0.05 < forward.random_rate < 0.45  # chance is 1/5
