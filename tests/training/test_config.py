"""The training config is strict, and rows must match its mode and alpha."""

from __future__ import annotations

import pydantic
import pytest

from tokendistill.training import TrainingConfig, build_rows
from tokendistill.training.run import check_rows


def test_unknown_and_out_of_range_keys_fail():
    with pytest.raises(pydantic.ValidationError, match="lr"):
        TrainingConfig(lr=1e-3)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="alpha"):
        TrainingConfig(alpha=2.0)
    with pytest.raises(pydantic.ValidationError, match="eval_mode"):
        TrainingConfig(eval_mode="beam")  # type: ignore[arg-type]


def test_rows_must_match_the_config(toy):
    TRAIN = toy.TRAIN
    rats = toy.animal_rationales(TRAIN)
    multitask = build_rows(TRAIN, "multitask", rationales=rats, alpha=0.5)
    check_rows(multitask, TrainingConfig(mode="multitask", alpha=0.5))
    with pytest.raises(ValueError, match="alpha"):
        check_rows(multitask, TrainingConfig(mode="multitask", alpha=0.7))
    with pytest.raises(ValueError, match="rationale rows"):
        check_rows(multitask, TrainingConfig(mode="standard"))
    with pytest.raises(ValueError, match="both"):
        check_rows(build_rows(TRAIN, "standard"), TrainingConfig(mode="multitask"))
    with pytest.raises(ValueError, match="no training rows"):
        check_rows([], TrainingConfig())
