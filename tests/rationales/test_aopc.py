"""AOPC over rationale-size bins (ERASER), checked against hand computations."""

from __future__ import annotations

import math
import re

import pytest

from tokendistill.rationales.analysis import aopc, erasure_rows
from tokendistill.rationales.analysis.aopc import bin_label, bin_size
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection

BINS = [0.01, 0.05, 0.10, 0.20, 0.50]
RANKED = Selection(SelectionConfig(unit="word", filters=[], order="score"))
# Ten distinct words, best score first: the ranking is the word order.
WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
KEYS = {"alpha", "beta", "iota"}  # what the hand-made "teacher" reads: two top-ranked, one low


def _record(make_record, example_id: str = "ex", score=lambda i: 10.0 - i):
    text = " ".join(WORDS)
    pieces = [(w if i == 0 else " " + w, score(i)) for i, w in enumerate(WORDS)]
    return make_record(text, pieces, example_id=example_id, gold="yes")


def _keys_scorer(texts: list[str], targets: list[str]) -> list[tuple[float, int]]:
    """The answer's log-probability (one token) = 0.05 + 0.1 per key word present (a linear
    stand-in: the hand computations below are differences of it)."""
    return [(0.05 + 0.1 * len(KEYS & set(re.findall(r"\w+", t))), 1) for t in texts]


def _count_scorer(texts: list[str], targets: list[str]) -> list[tuple[float, int]]:
    """0.01 per word present: any unit removed costs the same, so the random baseline is
    known without knowing which units were drawn."""
    return [(0.01 * len(re.findall(r"\w+", t)), 1) for t in texts]


def test_bin_sizes_round_up_and_never_vanish() -> None:
    assert [bin_size(b, 10) for b in BINS] == [1, 1, 1, 2, 5]
    assert [bin_size(b, 150) for b in BINS] == [2, 8, 15, 30, 75]
    assert bin_size(0.5, 1) == 1 and bin_size(1.0, 7) == 7
    assert [bin_label(b) for b in BINS] == ["1 %", "5 %", "10 %", "20 %", "50 %"]


def test_aopc_equals_the_hand_computation(make_record) -> None:
    res = aopc([_record(make_record)], _keys_scorer, RANKED, seed=0, bins=BINS)
    # Bins of 1, 1, 1, 2 and 5 top words; the full input holds 3 keys (p = 0.35).
    # Removing the top k drops 0.1 per key among them: alpha | alpha | alpha | alpha+beta | alpha+beta.
    comp = [0.1, 0.1, 0.1, 0.2, 0.2]
    # Keeping only the top k leaves 0.05 + 0.1 per key kept: drops 0.35 - 0.15 (k = 1), 0.35 - 0.25.
    suff = [0.2, 0.2, 0.2, 0.1, 0.1]
    assert res.values["comprehensiveness"] == pytest.approx(comp)
    assert res.values["sufficiency"] == pytest.approx(suff)
    assert res.area("comprehensiveness") == pytest.approx(0.14)
    assert res.area("sufficiency") == pytest.approx(0.16)


def test_random_units_at_every_bin_equal_the_hand_computation(make_record) -> None:
    records = [_record(make_record, f"ex{i}") for i in range(3)]
    res = aopc(records, _count_scorer, RANKED, seed=7, bins=BINS)
    sizes = [1, 1, 1, 2, 5]
    # Ten words: p(full) = 0.10; removing k words drops 0.01 k, keeping k drops 0.10 - 0.01 k.
    assert res.values["comprehensiveness_random"] == pytest.approx([0.01 * k for k in sizes])
    assert res.values["sufficiency_random"] == pytest.approx([0.10 - 0.01 * k for k in sizes])
    assert res.area("comprehensiveness_random") == pytest.approx(0.02)
    assert res.example_ids == ("ex0", "ex1", "ex2")


def test_records_without_finite_scores_or_units_are_skipped(make_record) -> None:
    broken = _record(make_record, "nan", score=lambda i: math.nan)
    template_only = make_record("Answer:", [("Answer:", 1.0, False)], example_id="tpl")
    res = aopc([broken, template_only, _record(make_record)], _keys_scorer, RANKED, seed=0, bins=BINS)
    assert res.example_ids == ("ex",) and res.n_nonfinite == 1 and res.n_empty == 1
    empty = aopc([broken], _keys_scorer, RANKED, seed=0, bins=BINS)
    assert empty.area("comprehensiveness") is None
    with pytest.raises(ValueError, match="shares in"):
        aopc([], _keys_scorer, RANKED, seed=0, bins=[0.0])


def test_rows_hold_the_area_then_every_bin(make_record) -> None:
    _, rows = erasure_rows(
        {"m": [_record(make_record)]}, _keys_scorer, RANKED, k=1, n_examples=10, seed=0, bins=BINS
    )
    assert [r.bin for r in rows] == ["AOPC", "1 %", "5 %", "10 %", "20 %", "50 %"]
    assert rows[0].comprehensiveness == pytest.approx(0.14) and rows[-1].sufficiency == pytest.approx(0.1)
    assert rows[0].to_json()["comp. random"] == rows[0].comprehensiveness_random
    assert rows[0].comprehensiveness_ci is None  # one example: no interval
