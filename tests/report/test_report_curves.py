"""The report's training curves plot the label task's own loss wherever a run logged it."""

from __future__ import annotations

from types import SimpleNamespace

from tokendistill.report import plots
from tokendistill.stages.report import curves


def _outputs(name: str, losses: list[dict]) -> SimpleNamespace:
    metrics = {"valid": {"history": [{"step": 10, "accuracy": 0.5}]}, "loss_history": losses}
    return SimpleNamespace(student=SimpleNamespace(name=name), seed=0, metrics=metrics)


def test_label_loss_where_logged_packed_loss_otherwise() -> None:
    two_task = _outputs("ours", [{"step": 10, "loss": 2.0, "loss_label": 0.5, "loss_rationale": 3.5}])
    older = _outputs("old", [{"step": 10, "loss": 2.0}])
    out = curves([two_task, older])
    assert out["ours (seed 0)"] == {"valid_accuracy": [(10, 0.5)], "label_loss": [(10, 0.5)]}
    assert out["old (seed 0)"] == {"valid_accuracy": [(10, 0.5)], "loss": [(10, 2.0)]}
    assert plots.training_curves(out)  # both kinds draw
