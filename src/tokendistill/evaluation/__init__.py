"""Predictions (greedy generation or rank classification), task scores, artifact writes."""

from tokendistill.evaluation.io import read_jsonl, write_json, write_jsonl
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
    "read_jsonl",
    "write_json",
    "write_jsonl",
]
