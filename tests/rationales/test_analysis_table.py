from __future__ import annotations

import json
import re

from tokendistill.rationales.analysis import agreement_table, analysis_table, table_to_json, write_table_json
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection

# The settings these cases were written for: token units, both filters, best score first.
TOKENS = SelectionConfig(unit="token", filters=["stopwords", "punctuation"], order="score")


def _runs(make_record):
    def rec(ex_id, scores):
        toks = [("Q:", 0, False), (" cat", scores[0]), (" planted", scores[1]), (" seeds", scores[2])]
        return make_record("Q: cat planted seeds", toks, example_id=ex_id, gold="planted")

    return {
        ("toy", "saliency"): [rec("a", [0, 2, 1]), rec("b", [2, 1, 0])],
        ("toy", "ig"): [rec("a", [2, 1, 0]), rec("b", [2, 1, 0])],
    }


def _score(texts, targets):
    return [(0.8 if re.search(r"\bplanted\b", t) else 0.3, 1) for t in texts]


def test_analysis_table_rows(make_record):
    rows = analysis_table(
        _runs(make_record), [1, 2], Selection(TOKENS.model_copy(update={"unit": "word"})), seed=0
    )
    assert [(r["method"], r["k"]) for r in rows] == [("saliency", 1), ("saliency", 2), ("ig", 1), ("ig", 2)]
    assert rows[0]["overlap"] == 0.5 and rows[1]["overlap"] == 1.0 and rows[2]["overlap"] == 0.0
    assert "comprehensiveness" not in rows[0]
    with_faith = analysis_table(
        _runs(make_record), [1, 2], Selection(TOKENS), score_fn=_score, faithfulness_ks=[1], seed=0
    )
    assert with_faith[0]["comprehensiveness"] == 0.25  # (0.5 + 0) / 2
    assert "sufficiency_random" in with_faith[0] and "comprehensiveness" not in with_faith[1]


def test_agreement_table_and_json(tmp_path, make_record):
    rows = agreement_table(_runs(make_record), [1], Selection(TOKENS))
    assert len(rows) == 1 and rows[0]["method_a"] == "ig" and rows[0]["method_b"] == "saliency"
    assert rows[0]["mean_jaccard"] == 0.5
    rows.append({"dataset": "toy", "value": float("nan")})
    doc = json.loads(table_to_json(rows, {"selection": Selection(TOKENS).as_dict()}))
    assert doc["rows"][-1]["value"] is None and doc["metadata"]["selection"]["unit"] == "token"
    path = write_table_json(tmp_path / "t.json", rows)
    assert json.loads(path.read_text())["rows"][0]["k"] == 1
