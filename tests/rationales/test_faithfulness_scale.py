"""Faithfulness on a meaningful scale (issue 31): a choice task's figures over the teacher's
probability of its answer normalised over the choices (ERASER), an open answer's over its
log-probability; every figure with its interval; each distinct input scored once."""

from __future__ import annotations

import math
import re

import pytest

from tokendistill.rationales.analysis import (
    AnalysisResult,
    ErasureScorer,
    FaithfulnessRow,
    erasure_rows,
    faithfulness,
)
from tokendistill.rationales.analysis.scale import candidates, choice_probability
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.report.faithfulness import erasure_verdicts, teacher_at_chance
from tokendistill.stats import t95, t_interval

WORD = Selection(SelectionConfig(unit="word", filters=["stopwords", "punctuation"], order="score"))
TEXT = "Premise: the zebra planted seeds\nAnswer:"
CHOICES = ("yes", "no", "maybe")
# p(choice | text), by whether the text holds "planted": the teacher's answer is "yes".
WITH = {"yes": 0.06, "no": 0.02, "maybe": 0.01}
WITHOUT = {"yes": 0.01, "no": 0.03, "maybe": 0.02}


class ChoiceTeacher:
    """Summed log-probabilities of every (text, choice) pair; "yes" has 2 tokens, the others 1."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []
        self.calls = 0

    def __call__(self, texts: list[str], answers: list[str]) -> list[tuple[float, int]]:
        self.calls += 1
        self.pairs += list(zip(texts, answers, strict=True))
        table = [WITH if re.search(r"\bplanted\b", t) else WITHOUT for t in texts]
        return [(math.log(p[a]), 2 if a == "yes" else 1) for p, a in zip(table, answers, strict=True)]


def _record(make_record, planted: float, example_id: str):
    pieces = [("Premise:", 5.0, False), (" the", 0.1), (" zebra", 0.3), (" planted", planted)]
    pieces += [(" seeds", 0.2), ("\nAnswer:", 5.0, False)]
    return make_record(TEXT, pieces, example_id=example_id, gold="yes")


def test_choice_task_equals_the_hand_computation(make_record) -> None:
    good = _record(make_record, 0.9, "good")  # "planted" ranks first
    bad = _record(make_record, -1.0, "bad")  # "zebra" ranks first
    teacher = ChoiceTeacher()
    scorer = ErasureScorer(teacher, {"good": CHOICES, "bad": CHOICES})
    res = faithfulness([good, bad], 1, scorer, WORD, seed=0)
    comp, suff = res["comprehensiveness"], res["sufficiency"]
    # By hand: normalised over the three choices, p(yes) = 0.06 / 0.09 with "planted", 0.01 / 0.06 without.
    with_, without = 0.06 / 0.09, 0.01 / 0.06
    assert comp.full == pytest.approx((with_, with_))
    assert comp.values.tolist() == pytest.approx([with_ - without, 0.0])  # good removes "planted"
    assert suff.values.tolist() == pytest.approx([0.0, with_ - without])  # bad keeps only "zebra"
    assert scorer.scale == "choice_probability"
    # The raw column: "yes"'s per-token geometric mean, sqrt(p) over its 2 tokens, not normalised.
    assert comp.raw_full[0] == pytest.approx(math.sqrt(0.06))
    assert comp.raw_mean == pytest.approx((math.sqrt(0.06) - math.sqrt(0.01)) / 2)
    # Every input with every choice, each pair once, in one call.
    assert teacher.calls == 1 and len(teacher.pairs) == len(set(teacher.pairs))
    assert {a for _, a in teacher.pairs} == set(CHOICES)


def test_open_answer_uses_the_mean_log_probability(make_record) -> None:
    good = _record(make_record, 0.9, "good")
    res = faithfulness([good], 1, ErasureScorer(ChoiceTeacher()), WORD, seed=0)
    # "yes": log 0.06 over 2 tokens with "planted", log 0.01 over 2 without.
    assert res["comprehensiveness"].values.tolist() == pytest.approx([(math.log(0.06) - math.log(0.01)) / 2])


def test_an_answer_outside_the_choices_joins_the_set() -> None:
    assert candidates(CHOICES, " YES ") == (CHOICES, 0)
    assert candidates(CHOICES, "perhaps") == ((*CHOICES, "perhaps"), 3)
    assert choice_probability([math.log(1), math.log(3)], 1) == pytest.approx(0.75)
    assert choice_probability([-1000.0, -1001.0], 0) == pytest.approx(1 / (1 + math.exp(-1)))


def test_rows_carry_intervals_and_verdicts_in_words(make_record) -> None:
    records = [_record(make_record, 0.9, f"e{i}") for i in range(4)]
    records.append(_record(make_record, -1.0, "e4"))
    choices = {r.example_id: CHOICES for r in records}
    teacher = ChoiceTeacher()
    rows, curves = erasure_rows(
        {"saliency": records, "other": records[::-1]},
        ErasureScorer(teacher, choices),
        WORD,
        k=1,
        n_examples=5,
        seed=0,
        bins=[0.25, 0.5],
    )
    assert teacher.calls == 1 and len(teacher.pairs) == len(set(teacher.pairs))
    row = rows[0]
    drops = [0.06 / 0.09 - 0.01 / 0.06] * 4 + [0.0]
    assert row.comprehensiveness == pytest.approx(sum(drops) / 5)
    assert row.comprehensiveness_ci == pytest.approx(t_interval(drops))
    assert [r.bin for r in curves[:3]] == ["AOPC", "25 %", "50 %"] and curves[
        0
    ].comprehensiveness_ci is not None
    analysis = AnalysisResult(None, (), {}, {}, {}, (), (), faithfulness=rows[:1], aopc=tuple(curves[:1]))
    sentences = erasure_verdicts(analysis)
    assert len(sentences) == 4 and all(s.startswith("saliency (") for s in sentences)


def _row(comp_vs: tuple[float, float] | None, suff_vs: tuple[float, float] | None) -> FaithfulnessRow:
    figures = dict(
        comprehensiveness=0.3, comprehensiveness_random=0.1, sufficiency=0.05, sufficiency_random=0.2
    )
    return FaithfulnessRow(
        "saliency", 5, 40, **figures, comprehensiveness_vs_random_ci=comp_vs, sufficiency_vs_random_ci=suff_vs
    )


def test_verdicts_read_the_interval_of_the_difference() -> None:
    def say(row: FaithfulnessRow) -> list[str]:
        return erasure_verdicts(AnalysisResult(None, (), {}, {}, {}, (), (), faithfulness=(row,)))

    comp, suff = say(_row((0.1, 0.3), (-0.25, -0.05)))
    assert comp == (
        "saliency (top-5), comprehensiveness: removing its top-5 words lowers the teacher's answer more "
        "than removing as many random words (+0.200, 95 % interval of the difference [0.100, 0.300])."
    )
    assert "top-5 words alone keep the teacher's answer better than as many random words (-0.150" in suff
    comp, suff = say(_row((-0.1, 0.5), (-0.3, -0.1)))
    assert "no difference from random words this run can show (+0.200" in comp and "holds 0" in comp
    assert "too few examples" in say(_row(None, None))[0]
    assert _row((-0.3, -0.1), None).versus_random("comprehensiveness") == -1


def test_t_quantiles_and_interval() -> None:
    assert t95(1) == 12.706 and t95(30) == 2.042
    for dof, exact in ((40, 2.0211), (60, 2.0003), (120, 1.9799), (1000, 1.9623)):
        assert t95(dof) == pytest.approx(exact, abs=2e-4)
    low, high = t_interval([1.0, 2.0, 3.0])
    assert (low + high) / 2 == pytest.approx(2.0) and high - 2.0 == pytest.approx(4.303 / math.sqrt(3))
    assert t_interval([1.0]) is None


def test_teacher_at_chance_warns() -> None:
    warning = teacher_at_chance(0.40, 48, 1 / 3)
    assert warning is not None and "has not learnt the task" in warning and "chance 33.3 %" in warning
    assert teacher_at_chance(0.90, 48, 1 / 3) is None
    assert teacher_at_chance(0.40, 48, None) is None
