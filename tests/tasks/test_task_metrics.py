"""Metrics and the safe arithmetic evaluator behind SVAMP scoring."""

from __future__ import annotations

import pytest

from tokendistill.tasks import Example, get_task
from tokendistill.tasks.arithmetic import UnsafeExpression, evaluate, try_evaluate
from tokendistill.tasks.metrics import choice_match, exact_match, get_metric, normalize, numeric_match

CHOICES = ("bus depot", "beach", "train station", "bridge", "park")


def test_normalize() -> None:
    assert normalize("  The   Bridge.\n") == "the bridge"
    assert normalize("Neutral!?") == "neutral"
    assert exact_match("ENTAILMENT.", "entailment") == 1.0
    assert exact_match("neutral", "entailment") == 0.0


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [("beach", 1.0), ("Beach.", 1.0), ("(b)", 1.0), ("b", 1.0), ("B", 1.0), ("(b) beach", 1.0), ("b)", 1.0),
     ("(c)", 0.0), ("c", 0.0), ("(b) bridge", 0.0), ("(z)", 0.0), ("bridge", 0.0), ("", 0.0)],
)  # fmt: skip
def test_cqa_accepts_text_or_letter(prediction: str, expected: float) -> None:
    assert choice_match(prediction, "beach", CHOICES) == expected
    example = Example("x", "q", ((0, 1),), "beach", CHOICES)
    assert get_task("cqa").score(prediction, example) == expected


def test_choice_letter_without_choices_is_wrong() -> None:
    assert choice_match("(a)", "beach", None) == 0.0


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [("( 84.0 / 2.0 )", "( 84.0 / 2.0 )", 1.0), ("(84 / 2)", "( 84.0 / 2.0 )", 1.0), ("42", "42.0", 1.0),
     ("42.000001", "42", 1.0), ("42.1", "42", 0.0), ("(2 * 21)", "( 84.0 / 2.0 )", 1.0),
     ("0.1 + 0.2 - 0.3", "0", 1.0), ("1 / 0", "( 1.0 / 0.0 )", 0.0), ("x + 1", "1", 0.0), ("", "1", 0.0)],
)  # fmt: skip
def test_svamp_numeric_equality(prediction: str, gold: str, expected: float) -> None:
    assert numeric_match(prediction, gold) == expected
    example = Example("x", "q", ((0, 1),), gold)
    assert get_task("svamp").score(prediction, example) == expected


def test_nli_and_synthetic_use_exact_match() -> None:
    example = Example("x", "q", ((0, 1),), "neutral", ("entailment", "neutral", "contradiction"))
    assert get_task("anli1").score(" Neutral. ", example) == 1.0
    assert get_task("esnli").score("(b)", example) == 0.0


def test_metric_names() -> None:
    assert get_metric("equation") is get_metric("numeric")
    with pytest.raises(ValueError, match=r"unknown metric 'bleu'.*exact_match"):
        get_metric("bleu")


def test_evaluator_accepts_dss_equations() -> None:
    assert evaluate("( 84.0 / 2.0 )") == 42.0
    assert evaluate("( ( 17.0 + 15.0 ) + 2.0 )") == 34.0
    assert evaluate("-(3 - 5) * +2") == 4.0
    assert evaluate("1e3 / 4") == 250.0


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('x')",
        "2**999999",
        "2 ** 3",
        "x",
        "a + 1",
        "(1).real",
        "'a' * 3",
        "[1][0]",
        "abs(-1)",
        "True + 1",
        "1 if 1 else 2",
        "1 // 2",
        "5 % 3",
        "lambda: 1",
        "1; 2",
        "1 + ",
        "9" * 40,
        "1e300 * 1e300",
        "(" * 300 + "1" + ")" * 300,
        "1 +" * 300 + "1",
        "1 < 2",
        "1j",
    ],
)
def test_evaluator_refuses_everything_else(expression: str) -> None:
    with pytest.raises(UnsafeExpression):
        evaluate(expression)
    assert try_evaluate(expression) is None


def test_division_by_zero_is_not_a_value() -> None:
    with pytest.raises(ZeroDivisionError):
        evaluate("1 / (2 - 2)")
    assert try_evaluate("1 / 0") is None


def test_one_exact_match_for_accuracy_and_attribution_targets() -> None:
    from tokendistill.attribution import exact_match as judge

    example = Example("x", "q", ((0, 1),), "the bridge")
    assert judge is exact_match
    # What accuracy counts as right, the attribution's "correct" flag counts too.
    for answer, expected in (("The  Bridge.", 1.0), (" the bridge ", 1.0), ("bridge", 0.0)):
        assert exact_match(answer, example) == exact_match(answer, "the bridge") == expected
