"""The typed analysis result: its JSON form (analysis.json, metrics.json) and the pure
function that computes everything but faithfulness."""

from __future__ import annotations

import json
import math

import pytest

from tokendistill.rationales.analysis import (
    AgreementRow,
    AnalysisResult,
    AopcRow,
    EvidenceRow,
    FaithfulnessRow,
    OverlapRow,
    analyze_records,
    erasure_rows,
    evidence_hits,
    evidence_spans,
    gold_overlap,
    k_sweep,
    method_agreement,
)
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.tasks.example import Evidence, Example

WORD = Selection(SelectionConfig(unit="word", order="score"))


def _result() -> AnalysisResult:
    return AnalysisResult(
        gold_in_input=0.5,
        overlap=(OverlapRow("saliency", 2, 4, 0.5, 1.0, 2, None, 0, 1),),
        k_sweep={"saliency": {1: 0.25, 2: 0.5}},
        evidence_sweep={"saliency": {1: 1.0, 2: 1.0}, "random": {1: 0.25, 2: 0.5}},
        evidence_chance={1: 0.2, 2: 0.4},
        agreement=(AgreementRow("random", "saliency", 2, 0.1, math.nan, 4),),
        evidence=(EvidenceRow("saliency", 2, 4, 1.0, 0.4),),
        faithfulness=(
            FaithfulnessRow(
                "saliency",
                2,
                4,
                comprehensiveness=0.3,
                comprehensiveness_random=0.1,
                sufficiency=-0.05,
                sufficiency_random=0.2,
            ),
        ),
        aopc=(
            AopcRow(
                "saliency",
                "AOPC",
                4,
                comprehensiveness=0.2,
                comprehensiveness_random=0.05,
                sufficiency=0.1,
                sufficiency_random=math.nan,
            ),
            AopcRow(
                "saliency",
                "5 %",
                4,
                comprehensiveness=0.1,
                comprehensiveness_random=0.1,
                sufficiency=0.1,
                sufficiency_random=0.1,
            ),
        ),
    )


def test_json_keeps_todays_keys_and_spells_undefined_as_null() -> None:
    doc = _result().to_json()
    assert list(doc) == [
        "gold_in_input",
        "overlap",
        "k_sweep",
        "evidence_sweep",
        "agreement",
        "evidence",
        "faithfulness",
        "aopc",
        "faithfulness_scale",
    ]
    assert doc["faithfulness_scale"] is None  # no faithfulness figures: no scale
    assert doc["aopc"][0] == {
        "method": "saliency",
        "bin": "AOPC",
        "examples": 4,
        "comprehensiveness": 0.2,
        "comp. 95% interval": None,
        "comp. random": 0.05,
        "comp. random 95% interval": None,
        "comp. minus random 95% interval": None,
        "sufficiency": 0.1,
        "suff. 95% interval": None,
        "suff. random": None,
        "suff. random 95% interval": None,
        "suff. minus random 95% interval": None,
        "raw comp.": None,
        "raw comp. random": None,
        "raw suff.": None,
        "raw suff. random": None,
    }
    assert doc["overlap"] == [
        {
            "method": "saliency",
            "k": 2,
            "examples": 4,
            "overlap": 0.5,
            "teacher right": 1.0,
            "n right": 2,
            "teacher wrong": None,
            "n wrong": 0,
            "non-finite": 1,
        }
    ]
    assert doc["agreement"] == [
        {"methods": "random vs saliency", "top-2 Jaccard": 0.1, "Spearman": None, "examples": 4}
    ]
    assert doc["evidence"] == [
        {"method": "saliency", "k": 2, "examples": 4, "top-k hit rate": 1.0, "random-k hit rate": 0.4}
    ]
    assert list(doc["faithfulness"][0])[:6] == [
        "method",
        "k",
        "examples",
        "comprehensiveness",
        "comp. 95% interval",
        "comp. random-k",
    ]
    # The chance line follows the first method, k is text: the file as the stage wrote it.
    assert list(doc["evidence_sweep"]) == ["saliency", "chance (random-k)", "random"]
    assert doc["evidence_sweep"]["chance (random-k)"] == {"1": 0.2, "2": 0.4}
    assert doc["k_sweep"] == {"saliency": {"1": 0.25, "2": 0.5}}
    json.dumps(doc, allow_nan=False)


def test_from_json_reads_back_what_to_json_wrote() -> None:
    result = _result()
    text = json.dumps(result.to_json())
    again = AnalysisResult.from_json(json.loads(text))
    assert again.to_json() == result.to_json()
    assert again.k_sweep == {"saliency": {1: 0.25, 2: 0.5}}
    assert again.evidence_chance == {1: 0.2, 2: 0.4}
    assert again.agreement[0] == AgreementRow("random", "saliency", 2, 0.1, None, 4)
    assert again.overlap == result.overlap
    assert again.aopc[1] == result.aopc[1]


def test_rows_name_their_column_headers() -> None:
    row = _result().agreement[0]
    assert row.headers() == ["methods", "top-2 Jaccard", "Spearman", "examples"]
    assert row.values()[0] == "random vs saliency"
    assert OverlapRow("m", 1, 0, None, None, 0, None, 0, 0).headers()[4:6] == ["teacher right", "n right"]


def _records(make_record, method_scores):
    """Two examples scored by one method; "cue" is the planted evidence of both."""
    text = "the cue word here"
    out = []
    for i, scores in enumerate(method_scores):
        pieces = list(zip(["the", " cue", " word", " here"], scores, strict=True))
        out.append(make_record(text, pieces, example_id=f"e{i}", gold="word", teacher_correct=i == 0))
    return out


def test_analyze_records_is_the_analyses_of_each_method(make_record) -> None:
    attributions = {
        "saliency": _records(make_record, [[0, 3, 2, 1], [0, 1, 3, 2]]),
        "random": _records(make_record, [[1, 0, 3, 2], [3, 2, 1, 0]]),
    }
    evidence = {"e0": [(4, 7)], "e1": [(4, 7)]}
    result = analyze_records(attributions, WORD, 2, [1, 3], evidence, seed=5)
    sal = attributions["saliency"]
    overlap = gold_overlap(sal, 2, WORD)
    assert result.overlap[0] == OverlapRow(
        "saliency", 2, 2, overlap.overlap, overlap.overlap_right, 1, overlap.overlap_wrong, 1, 0
    )
    assert result.k_sweep["random"] == {r.k: r.overlap for r in k_sweep(attributions["random"], [1, 3], WORD)}
    hits = evidence_hits(sal, evidence, 2, WORD, seed=5)
    assert result.evidence[0] == EvidenceRow("saliency", 2, 2, hits.hit_rate, hits.random_rate)
    assert result.evidence_sweep["saliency"][3] == evidence_hits(sal, evidence, 3, WORD, seed=5).hit_rate
    assert result.evidence_chance[1] == evidence_hits(sal, evidence, 1, WORD, seed=5).random_rate
    agreement = method_agreement(attributions["random"], sal, 2, WORD)
    assert result.agreement == (
        AgreementRow("random", "saliency", 2, agreement.mean_jaccard, agreement.mean_spearman, 2),
    )
    assert result.gold_in_input == 1.0
    assert result.faithfulness == ()


def test_without_evidence_the_evidence_parts_are_empty(make_record) -> None:
    result = analyze_records({"saliency": _records(make_record, [[0, 3, 2, 1]])}, WORD, 1, [1], {}, seed=0)
    assert result.evidence == () and result.evidence_sweep == {} and result.evidence_chance == {}
    assert result.agreement == ()
    assert result.to_json()["evidence_sweep"] == {}


def test_faithfulness_rows_score_the_first_examples(make_record) -> None:
    records = _records(make_record, [[0, 3, 2, 1], [0, 1, 3, 2]])
    seen: list[str] = []

    def score(texts: list[str], targets: list[str]) -> list[tuple[float, int]]:
        seen.extend(texts)
        return [(math.log(0.9 if "word" in t else 0.1), 1) for t in texts]

    (row,), aopc = erasure_rows({"saliency": records}, score, WORD, k=1, n_examples=1, seed=0)
    assert row.method == "saliency" and row.k == 1 and row.examples == 1 and aopc == ()
    assert row.comprehensiveness == pytest.approx(0.0)  # "cue" removed, "word" still there
    assert 1 < len(seen) == len(set(seen)) <= 5  # the full text and its distinct perturbations


def test_evidence_spans_of_examples_with_planted_words() -> None:
    planted = Example("a", "the cue word", ((0, 12),), "y", evidence=(Evidence("cue", 4, 7),))
    plain = Example("b", "the cue word", ((0, 12),), "y")
    assert evidence_spans([planted, plain]) == {"a": [(4, 7)]}
