"""Predictions (greedy generation or rank classification), task scores."""

from tokendistill.evaluation.predict import (
    EvalMode,
    EvalResult,
    Prediction,
    Scorer,
    evaluate_examples,
    predict_answers,
)

__all__ = [
    "EvalMode",
    "EvalResult",
    "Prediction",
    "Scorer",
    "evaluate_examples",
    "predict_answers",
]
