"""The text a tiny model's tokenizer learns: the training splits and the modes' templates."""

from __future__ import annotations

from tokendistill.tasks import TaskData
from tokendistill.training.modes import template_texts


def corpus(data: TaskData) -> list[str]:
    """Text a tiny model's tokenizer is trained on: inputs and labels of the training splits
    (the students' and the teacher's own), and every template string a student mode adds."""
    examples = [*data.train, *data.teacher_train]
    return [*(t for ex in examples for t in (ex.text, ex.label)), *template_texts()]
