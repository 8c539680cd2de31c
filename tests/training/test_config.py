"""The training config is strict, and rows must match the student mode they are trained with."""

from __future__ import annotations

import pydantic
import pytest

from tokendistill.training import TrainingConfig, build_rows, get_mode, list_modes
from tokendistill.training.run import check_rows


def test_unknown_and_out_of_range_keys_fail():
    with pytest.raises(pydantic.ValidationError, match="lr"):
        TrainingConfig(lr=1e-3)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="learning_rate"):
        TrainingConfig(learning_rate=-1.0)
    with pytest.raises(pydantic.ValidationError, match="eval_mode"):
        TrainingConfig(eval_mode="beam")  # type: ignore[arg-type]
    # The pipeline decides these per student and seed; the training section refuses them.
    for key in ("mode", "alpha", "seed"):
        with pytest.raises(pydantic.ValidationError, match=key):
            TrainingConfig(**{key: 1})


@pytest.mark.parametrize("mode", list_modes())
def test_rows_must_match_the_mode(toy, mode):
    TRAIN = toy.TRAIN
    rows = build_rows(TRAIN, mode, rationales=toy.animal_rationales(TRAIN))
    check_rows(rows, get_mode(mode))
    tasks = {row.task for row in rows}
    for other in map(get_mode, list_modes()):
        if not other.row_tasks <= tasks <= other.row_tasks | other.optional_tasks:
            with pytest.raises(ValueError, match="build them with build_rows for this mode"):
                check_rows(rows, other)
    with pytest.raises(ValueError, match="no training rows"):
        check_rows([], get_mode(mode))
