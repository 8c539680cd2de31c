"""``tracking.report_to`` takes what the installed transformers' Trainer takes, plus ``auto``."""

from __future__ import annotations

import importlib.util

import pytest
from pydantic import ValidationError

from tokendistill.tracking import TrackingConfig, TrainerTracking
from tokendistill.tracking.config import installed, integrations
from tokendistill.training import TrainingConfig
from tokendistill.training.arguments import training_arguments


@pytest.mark.parametrize("name", integrations())
def test_every_tracker_the_trainer_knows_is_accepted(name: str) -> None:
    assert TrackingConfig(report_to=name).report_to == [name]


@pytest.mark.parametrize(
    ("report_to", "problem"),
    [
        ("tensorbord", "unknown tracker 'tensorbord'"),
        (["auto", "wandb"], "stand alone"),
        (["mlflow", "mlflow"], "twice"),
    ],
)
def test_bad_report_to_is_refused_by_name(report_to: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        TrackingConfig(report_to=report_to)


def test_choices_resolve_to_trackers() -> None:
    assert TrackingConfig(report_to="none").trackers() == []
    assert TrackingConfig(report_to="all").trackers() == installed()
    has_tensorboard = importlib.util.find_spec("tensorboard") is not None
    assert TrackingConfig().trackers() == (["tensorboard"] if has_tensorboard else [])
    assert TrackingConfig(report_to=["mlflow", "wandb"]).trackers() == ["mlflow", "wandb"]


def test_the_trainer_reports_where_it_is_told_and_nowhere_by_default(tmp_path) -> None:
    assert training_arguments(TrainingConfig(), tmp_path).report_to == []
    tracking = TrainerTracking(["tensorboard"], [], "run/teacher")
    args = training_arguments(TrainingConfig(), tmp_path, tracking=tracking)
    assert (args.report_to, args.run_name) == (["tensorboard"], "run/teacher")
