"""Prediction by generation and by rank classification, on a scripted stand-in adapter."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from tokendistill.evaluation import Prediction, evaluate_examples
from tokendistill.tasks.example import Example


class ScriptedAdapter:
    """Answers from the prompt text, so order and batching are visible in the results."""

    def __init__(self) -> None:
        self.model = torch.nn.Linear(1, 1)
        self.generate_batches: list[list[str]] = []
        self.rank_calls: list[tuple[list[str], list[tuple[str, ...]]]] = []
        self.training_seen: list[bool] = []

    def generate(self, prompts, *, max_new_tokens=None):
        self.training_seen.append(self.model.training)
        self.generate_batches.append(list(prompts))
        return [p.split()[-1] for p in prompts]  # "the answer is X" -> X

    def score_choices(self, prompts, choices, *, batch_size=32):
        self.training_seen.append(self.model.training)
        self.rank_calls.append((list(prompts), [tuple(c) for c in choices]))
        # The candidate named in the prompt scores highest.
        return [
            [1.0 if c in p.split() else 0.0 for c in cands] for p, cands in zip(prompts, choices, strict=True)
        ]


@dataclass(frozen=True)
class Exact:
    label_set: tuple[str, ...] | None = ("yes", "no")

    def score(self, prediction: str, example: Example) -> float:
        return float(prediction == example.label)


def _example(i: int, label: str, choices=None) -> Example:
    return Example(id=f"e{i}", text=f"text {i}", content_spans=((0, 4),), label=label, choices=choices)


EXAMPLES = [_example(0, "yes"), _example(1, "no"), _example(2, "yes"), _example(3, "no"), _example(4, "yes")]
# Prompts of different lengths: batching sorts by length, results must come back in input order.
PROMPTS = ["the answer is yes", "x the answer is no", "is no", "a b c d e the answer is no", "yes"]


def test_generation_keeps_input_order_and_scores_each_example():
    adapter = ScriptedAdapter()
    adapter.model.train()
    result = evaluate_examples(adapter, EXAMPLES, PROMPTS, Exact(), mode="generate", batch_size=2)
    assert [p.prediction for p in result.predictions] == ["yes", "no", "no", "no", "yes"]
    assert [p.correct for p in result.predictions] == [True, True, False, True, True]
    assert result.metrics == {"accuracy": pytest.approx(0.8), "n": 5.0}
    assert [len(b) for b in adapter.generate_batches] == [2, 2, 1]
    assert sorted(p for b in adapter.generate_batches for p in b) == sorted(PROMPTS)
    assert adapter.training_seen == [False] * 3 and adapter.model.training  # eval inside, restored after


def test_rank_uses_example_choices_before_the_task_label_set():
    adapter = ScriptedAdapter()
    examples = [*EXAMPLES[:2], _example(9, "maybe", choices=("yes", "no", "maybe"))]
    prompts = [*PROMPTS[:2], "it is maybe"]
    result = evaluate_examples(adapter, examples, prompts, Exact(), mode="rank", batch_size=8)
    assert [p.prediction for p in result.predictions] == ["yes", "no", "maybe"]
    assert result.metrics["accuracy"] == 1.0
    ((_, choices),) = adapter.rank_calls
    assert sorted(choices, key=len) == [("yes", "no"), ("yes", "no"), ("yes", "no", "maybe")]


def test_rank_without_candidates_says_to_generate():
    with pytest.raises(ValueError, match="generate"):
        evaluate_examples(ScriptedAdapter(), EXAMPLES[:1], PROMPTS[:1], Exact(label_set=None), mode="rank")


def test_mismatched_prompts_and_unknown_mode_fail():
    with pytest.raises(ValueError, match="prompts"):
        evaluate_examples(ScriptedAdapter(), EXAMPLES, PROMPTS[:2], Exact())
    with pytest.raises(ValueError, match="evaluation mode"):
        evaluate_examples(ScriptedAdapter(), EXAMPLES, PROMPTS, Exact(), mode="beam")  # type: ignore[arg-type]


def test_prediction_record_fields():
    record = Prediction("e1", "yes", "no", 0.0).to_record()
    assert record == {"id": "e1", "prediction": "yes", "gold": "no", "score": 0.0, "correct": False}
