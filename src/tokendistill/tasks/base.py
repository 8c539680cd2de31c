"""What every task is: a loader, a scorer and its fixed label set, behind one interface.

The other stages only ever see ``Task`` and ``TaskData``: they never need to know whether
examples came from a DSS file, the Hub, a user's CSV or the synthetic generator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tokendistill.errors import DataError
from tokendistill.tasks.config import Split, TaskConfig
from tokendistill.tasks.example import Example
from tokendistill.tasks.readers import Record


@dataclass
class TaskData:
    """The three splits of a loaded task, plus notes every report about it must show.

    ``notes`` record anything that makes numbers incomparable with the literature (a
    small-data mode, a truncated train file, a hold-out) and where the data came from.
    ``teacher_train`` / ``teacher_valid``, when a task has them, are the teacher's own
    splits (it trains and is selected on them; students never see them); empty, the teacher
    uses ``train`` and ``valid`` like the students.
    """

    train: list[Example]
    valid: list[Example]
    test: list[Example]
    notes: list[str] = field(default_factory=list)
    label_set: tuple[str, ...] | None = None
    task: str = ""
    teacher_train: list[Example] = field(default_factory=list)
    teacher_valid: list[Example] = field(default_factory=list)

    def for_teacher(self) -> TaskData:
        """The splits the teacher trains and is selected on (its own, where the task has them)."""
        if not self.teacher_train:
            return self
        return replace(self, train=self.teacher_train, valid=self.teacher_valid)

    def split(self, name: Split) -> list[Example]:
        """The examples of split ``name`` ("train", "valid" or "test")."""
        if name not in ("train", "valid", "test"):
            raise ValueError(f"unknown split {name!r}; choose train, valid or test")
        return getattr(self, name)

    def answer_choices(self, name: Split) -> dict[str, tuple[str, ...]] | None:
        """Each example of split ``name`` with its answer choices (its own, else the label set),
        or None when one has fewer than two (open answers)."""
        choices = {ex.id: tuple(ex.choices or self.label_set or ()) for ex in self.split(name)}
        return choices if all(len(c) >= 2 for c in choices.values()) else None

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}

    def teacher_sizes(self) -> dict[str, int]:
        """Sizes of the teacher's own splits (empty when it uses the students')."""
        if not self.teacher_train:
            return {}
        return {"teacher train": len(self.teacher_train), "teacher valid": len(self.teacher_valid)}

    def summary(self) -> str:
        """One line of sizes followed by the notes, for logs and reports."""
        sizes = ", ".join(f"{name} {n:,}" for name, n in {**self.sizes(), **self.teacher_sizes()}.items())
        return "\n".join([f"{self.task}: {sizes}", *(f"- {note}" for note in self.notes)])


class Task(ABC):
    """A task: ``load`` its splits, ``score`` a prediction, and its fixed ``label_set``.

    ``label_set`` is the closed answer set used for rank classification (NLI labels), or
    None when answers are free text or differ per example (then see ``Example.choices``).
    """

    name: str
    label_set: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()

    @abstractmethod
    def load(self, config: TaskConfig) -> TaskData:
        """All three splits as configured (files, hold-out, max_examples, rationales)."""

    @abstractmethod
    def score(self, prediction: str, example: Example) -> float:
        """1.0 if ``prediction`` answers ``example`` correctly, else 0.0."""

    def format_records(self, records: Sequence[Record], config: TaskConfig) -> list[Example]:
        """Examples from rows of a user's file (``tokendistill predict`` / ``explain``),
        formatted as this task formats its own test rows; a row that lacks a field the task
        needs (its label included) fails with its file, line and field."""
        where = records[0].source if records else None
        raise DataError(f"task {self.name!r} cannot format rows from a file; give a text field", file=where)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
