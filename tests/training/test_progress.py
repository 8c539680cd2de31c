"""The one-line progress report of a training run."""

from __future__ import annotations

from types import SimpleNamespace

from tokendistill.training.progress import EvalLine


def _feed(logs: list[dict]) -> list[str]:
    lines: list[str] = []
    line = EvalLine(lines.append, label="student: ")
    state = SimpleNamespace(global_step=50, max_steps=250)
    for entry in logs:
        line.on_log(None, state, None, logs=entry)
    return lines


def test_a_two_task_step_shows_both_task_losses():
    lines = _feed([{"loss": 2.5, "loss_label": 1.25, "loss_rationale": 3.75}, {"eval_accuracy": 0.4}])
    assert lines == ["student: step 50/250 · loss 2.500 (label 1.250, rationale 3.750) · valid acc 0.400"]


def test_a_label_only_step_shows_the_loss_alone():
    lines = _feed([{"loss": 0.5, "loss_label": 0.5}, {"eval_accuracy": 0.75}])
    assert lines == ["student: step 50/250 · loss 0.500 · valid acc 0.750"]
