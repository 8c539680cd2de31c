"""CommonsenseQA v1.11 (``cqa``) as DSS formats it: question plus five lettered choices.

The label is the answer text; a prediction may also name the choice by its letter.
"""

from __future__ import annotations

from tokendistill.tasks.config import Split, TaskConfig
from tokendistill.tasks.dss import DSSTask, HubSource
from tokendistill.tasks.example import Example
from tokendistill.tasks.formatting import cqa_text
from tokendistill.tasks.readers import Record

CQA_NUM_CHOICES = 5


def cqa_choices(record: Record) -> tuple[str, ...]:
    """The five choice texts; DSS's template assumes exactly five non-empty strings."""
    choices = record.value("choices")
    if not isinstance(choices, list) or len(choices) != CQA_NUM_CHOICES:
        raise record.error(f"expected a list of {CQA_NUM_CHOICES} choices, got {choices!r}", "choices")
    if not all(isinstance(c, str) and c.strip() for c in choices):
        raise record.error(f"every choice must be non-empty text, got {choices!r}", "choices")
    return tuple(choices)


class CQATask(DSSTask):
    name = "cqa"
    metric = "choice"
    hub = HubSource("cos_e", "v1.11", {"train": "train", "test": "validation"})
    notes = (
        "CommonsenseQA v1.11 via cos_e, as in DSS; the official dev set serves as test and "
        "valid is a hold-out of train.",
    )

    def make_example(self, record: Record, role: Split, config: TaskConfig) -> Example:
        question, choices = record.text("question"), cqa_choices(record)
        answer = record.text("answer")
        if answer not in choices:
            raise record.error(f"answer {answer!r} is not one of the choices {list(choices)}", "answer")
        text, spans = cqa_text(question, choices)
        meta = self.row_meta(record, role, ("abstractive_explanation", "extractive_explanation"))
        return Example(
            id=self.example_id(record, role, "id"),
            text=text,
            content_spans=spans,
            label=answer,
            choices=choices,
            meta=meta,
        )
