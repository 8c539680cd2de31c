from __future__ import annotations

import math

import numpy as np
import pytest

from tokendistill.rationales.analysis import jaccard, method_agreement, rankdata, spearman
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection

WORDS = "cat dog emu fox"
TOKENS = Selection(SelectionConfig(unit="token", filters=["stopwords", "punctuation"], order="score"))


def _rec(make_record, scores, example_id="x"):
    toks = ["cat", " dog", " emu", " fox"]
    return make_record(WORDS, list(zip(toks, scores, strict=True)), example_id=example_id)


def test_rankdata_averages_ties():
    assert rankdata([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]
    assert rankdata([7, 7, 7]).tolist() == [2.0, 2.0, 2.0]
    assert rankdata([]).size == 0


def test_spearman_against_hand_computation():
    # ranks b = [1, 2, 3.5, 5, 3.5]; centred dot = 8, norms² = 10 and 9.5
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert spearman([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(1 - 6 * 2 / (4 * 15))
    assert spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2, 3], [4, 4, 4]))
    assert math.isnan(spearman([1], [2]))


def test_jaccard():
    assert jaccard({1, 2, 3}, {2, 3, 4}) == 0.5
    assert jaccard({1}, {1}) == 1.0
    assert math.isnan(jaccard(set(), set()))


def test_method_agreement_means_and_counts(make_record):
    a = [
        _rec(make_record, [4, 3, 2, 1], "x"),
        _rec(make_record, [1, 2, 3, 4], "y"),
        _rec(make_record, [1, 2, 3, 4], "only_a"),
        _rec(make_record, [1, math.nan, 3, 4], "bad"),
    ]
    b = [
        _rec(make_record, [1, 2, 3, 4], "x"),
        _rec(make_record, [1, 2, 4, 3], "y"),
        _rec(make_record, [1, 2, 3, 4], "bad"),
        _rec(make_record, [1, 2, 3, 4], "only_b"),
    ]
    res = method_agreement(a, b, 2, TOKENS)
    assert res.n_common == 3 and res.n_nonfinite == 1 and res.n_only_a == 1 and res.n_only_b == 1
    # x: top-2 {cat,dog} vs {emu,fox} → 0; y: {emu,fox} vs {emu,fox} → 1
    assert res.mean_jaccard == pytest.approx(0.5) and res.n_jaccard == 2
    # x: rho = -1; y: rho = 0.8
    assert res.mean_spearman == pytest.approx(-0.1) and res.n_spearman == 2


def test_different_tokenisations_need_word_level(make_record):
    a = _rec(make_record, [4, 3, 2, 1])
    b = make_record(
        WORDS, [("c", 2.0), ("at", 2.0), (" dog", 3.0), (" emu", 2.0), (" fox", 1.0)], example_id="x"
    )
    with pytest.raises(ValueError, match="score_unit='word'"):
        method_agreement([a], [b], 1, TOKENS)
    res = method_agreement([a], [b], 1, TOKENS, score_unit="word")
    assert res.mean_spearman == pytest.approx(1.0)
    assert np.isclose(res.mean_jaccard, 0.0)  # token units: "cat" vs "dog" spans differ
