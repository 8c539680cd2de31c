"""``teacher_max_train``: the teacher trains on more rows of a built-in task than its students."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokendistill.tasks import TaskConfig, load_task


def test_the_teacher_trains_on_a_longer_prefix_than_the_students(dss_dir: Path) -> None:
    config = TaskConfig(
        name="esnli", data_dir=dss_dir, teacher_max_train=5, max_examples={"train": 2, "valid": 2}
    )
    _, data = load_task(config)
    assert [e.id for e in data.train] == [e.id for e in data.teacher_train[:2]]
    assert len(data.teacher_train) == 5 and data.teacher_valid == data.valid and len(data.valid) == 2
    assert data.for_teacher().train == data.teacher_train
    assert any("the teacher trains on the first 5 train rows" in n for n in data.notes)
    _, plain = load_task(TaskConfig(name="esnli", data_dir=dss_dir))
    assert plain.teacher_train == [] and plain.for_teacher() is plain


def test_only_the_built_in_tasks_take_it() -> None:
    with pytest.raises(ValueError, match=r"synthetic\.teacher_train"):
        TaskConfig(name="synthetic", teacher_max_train=10)
