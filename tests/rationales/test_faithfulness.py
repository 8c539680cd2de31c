from __future__ import annotations

import math
import re

import pytest

from tokendistill.rationales.analysis import content_regions, faithfulness, keep_only, remove_units
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection


def comprehensiveness(*args, **kwargs):
    return faithfulness(*args, metrics=("comprehensiveness",), **kwargs)["comprehensiveness"]


def sufficiency(*args, **kwargs):
    return faithfulness(*args, metrics=("sufficiency",), **kwargs)["sufficiency"]


WORD = Selection(SelectionConfig(unit="word", filters=["stopwords", "punctuation"], order="score"))
TEXT = "Question: the zebra planted seeds\nAnswer:"
# An open answer: the figures are differences of its mean log-probability per token.
HIGH, LOW = math.log(0.9), math.log(0.2)


class PlantedScorer:
    """log p(target) is HIGH per token iff the word "planted" is in the text (summed over the
    target's 2 tokens); records every call."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls = 0

    def __call__(self, texts: list[str], targets: list[str]) -> list[tuple[float, int]]:
        self.calls += 1
        self.texts.extend(texts)
        return [(2 * (HIGH if re.search(r"\bplanted\b", t) else LOW), 2) for t in texts]


def _record(make_record, planted_score=0.6, example_id="p"):
    pieces = [("Question:", 5.0, False), (" the", 0.1), (" zebra", 0.3), (" plant", planted_score)]
    pieces += [("ed", 0.5), (" seeds", 0.2), ("\nAnswer:", 5.0, False)]
    return make_record(TEXT, pieces, example_id=example_id, gold="planted")


def test_perturbations_keep_template_and_tidy_spaces(make_record):
    rec = _record(make_record)
    regions = content_regions(rec)
    assert regions == [(TEXT.index("the"), TEXT.index("\n"))]
    span = (TEXT.index("planted"), TEXT.index("planted") + 7)
    seeds = (TEXT.index("seeds"), TEXT.index("seeds") + 5)
    assert remove_units(TEXT, [span], regions) == "Question: the zebra seeds\nAnswer:"
    assert remove_units(TEXT, [seeds], regions) == "Question: the zebra planted\nAnswer:"
    assert remove_units(TEXT, [span, seeds], regions) == "Question: the zebra\nAnswer:"
    assert keep_only(TEXT, [span], regions) == "Question: planted\nAnswer:"
    assert keep_only(TEXT, [seeds, span], regions) == "Question: planted seeds\nAnswer:"
    assert keep_only(TEXT, [], regions) == "Question: \nAnswer:"


def test_keep_only_per_region(make_record):
    text = "P: a cat sat. H: a dog ran."
    pieces = [("P:", 0, False), (" a", 0), (" cat", 1), (" sat", 0), (".", 0), (" H:", 0, False)]
    pieces += [(" a", 0), (" dog", 1), (" ran", 0), (".", 0)]
    rec = make_record(text, pieces)
    regions = content_regions(rec)
    assert [text[s:e] for s, e in regions] == ["a cat sat.", "a dog ran."]
    kept = [(text.index("cat"), text.index("cat") + 3), (text.index("dog"), text.index("dog") + 3)]
    assert keep_only(text, kept, regions) == "P: cat H: dog"
    assert remove_units(text, kept, regions) == "P: a sat. H: a ran."


def test_comprehensiveness_and_sufficiency_exact(make_record):
    good = _record(make_record, planted_score=0.6, example_id="good")  # "planted" ranks first
    bad = _record(make_record, planted_score=-1.0, example_id="bad")  # "zebra" ranks first
    scorer = PlantedScorer()
    res = faithfulness([good, bad], 1, scorer, WORD, seed=0)
    comp, suff = res["comprehensiveness"], res["sufficiency"]
    assert comp.example_ids == ("good", "bad")
    assert comp.full == pytest.approx((HIGH, HIGH))
    assert comp.values.tolist() == pytest.approx([HIGH - LOW, 0.0])
    assert suff.values.tolist() == pytest.approx([0.0, HIGH - LOW])
    assert comp.mean == pytest.approx((HIGH - LOW) / 2)
    # The raw column: the per-token geometric-mean probability, 0.9 or 0.2.
    assert (comp.raw_full[0], comp.raw_perturbed[0]) == pytest.approx((0.9, 0.2))
    assert comp.raw_mean == pytest.approx((0.9 - 0.2) / 2)
    for text in scorer.texts:
        assert text.startswith("Question:") and text.endswith("\nAnswer:")
    # One call, each distinct input once: the two examples share their full text.
    assert scorer.calls == 1 and len(scorer.texts) == len(set(scorer.texts)) < 2 * 5


def test_random_baseline_with_single_eligible_unit(make_record):
    rec = make_record(
        "Q: the planted A:", [("Q:", 0, False), (" the", 1.0), (" planted", 0.5), (" A:", 0, False)]
    )
    comp = comprehensiveness([rec], 3, PlantedScorer(), WORD, seed=0)
    assert comp.values.tolist() == pytest.approx([HIGH - LOW])
    assert comp.random_values.tolist() == pytest.approx([HIGH - LOW])  # same pool of one: same pick
    suff = sufficiency([rec], 3, PlantedScorer(), WORD, seed=0)
    assert suff.mean == pytest.approx(0.0) and suff.mean_random == pytest.approx(0.0)


def test_random_baseline_is_seeded_per_example(make_record):
    recs = [_record(make_record, example_id=f"e{i}") for i in range(6)]
    a = comprehensiveness(recs, 1, PlantedScorer(), WORD, seed=3)
    b = comprehensiveness(recs[::-1], 1, PlantedScorer(), WORD, seed=3)
    by_id_a = dict(zip(a.example_ids, a.perturbed_random, strict=True))
    by_id_b = dict(zip(b.example_ids, b.perturbed_random, strict=True))
    assert by_id_a == by_id_b
    assert {round(v, 6) for v in a.random_values.tolist()} <= {0.0, round(HIGH - LOW, 6)}


def test_skips_nonfinite_and_empty(make_record):
    nan = make_record("a planted", [("a", math.nan), (" planted", 1.0)], example_id="nan")
    stop = make_record("Q: the it", [("Q:", 1, False), (" the", 1.0), (" it", 1.0)], example_id="stop")
    res = comprehensiveness([nan, stop], 2, PlantedScorer(), WORD, seed=0)
    assert res.n_nonfinite == 1 and res.n_empty == 1 and res.example_ids == () and res.mean is None


def test_score_fn_length_checked(make_record):
    with pytest.raises(ValueError, match="returned"):
        comprehensiveness([_record(make_record)], 1, lambda texts, targets: [(0.5, 1)], WORD, seed=0)
