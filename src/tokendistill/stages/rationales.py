"""What a student is trained on besides the task: its rationales, labels and the teacher's
distributions, from the registries.

No branch here knows a mode or a source by name: the student's mode says what it needs
(rationales for training and at inference, the teacher's distributions),
its source writes the rationales, and the attribution records a source asks for (or the
artifacts it caches its own work in) are produced, or read from the cache, on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokendistill.config import StudentConfig
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.marks import Marks
from tokendistill.rationales.select import Selection
from tokendistill.rationales.sources import CacheFn, RecordsFn, SourceRequest, get_source
from tokendistill.runtime.files import stable_hash
from tokendistill.tasks import TaskData
from tokendistill.training.modes import Needs, get_mode
from tokendistill.training.soft_targets import TeacherDistributions

if TYPE_CHECKING:
    from tokendistill.models.adapter import ModelAdapter


@dataclass(frozen=True)
class StudentInputs:
    """Example id -> text tables: ``rationales`` (train split), ``eval_rationales`` (valid and
    test, for modes that read a rationale at inference) and ``teacher_labels``; the
    teacher's stored ``distributions`` for a soft-label student; the train split's ``marks``
    (where the rationale lies in each input) for a guided student."""

    rationales: dict[str, str] | None = None
    eval_rationales: dict[str, str] | None = None
    teacher_labels: dict[str, str] | None = None
    distributions: TeacherDistributions | None = None
    marks: dict[str, Marks] | None = None
    teacher: Callable[[], ModelAdapter] | None = None  # the live teacher (on-policy soft labels)

    def fingerprint(self) -> dict[str, str | None]:
        """Content hashes, so a student is retrained exactly when what it learns from changes."""
        hashes = {
            name: stable_hash(table) if table is not None else None
            for name, table in (
                ("rationales", self.rationales),
                ("eval_rationales", self.eval_rationales),
                ("teacher_labels", self.teacher_labels),
            )
        }
        if self.distributions is not None:  # absent otherwise: other students keep their keys
            hashes["distributions"] = self.distributions.key
        if self.marks is not None:
            hashes["marks"] = stable_hash({key: m.as_json() for key, m in self.marks.items()})
        return hashes


def student_inputs(
    student: StudentConfig,
    seed: int,
    selection: SelectionConfig,
    data: TaskData,
    teacher_answers: dict[str, str],
    records: RecordsFn,
    cache: CacheFn | None = None,
    distributions: Callable[[StudentConfig], TeacherDistributions] | None = None,
    teacher: Callable[[], ModelAdapter] | None = None,
) -> StudentInputs:
    """The tables ``student`` trains on with ``seed``; ``records(method, split)`` gives the
    attribution records a rationale source draws on, ``cache`` the keyed artifacts a source
    keeps its own work in, ``distributions(student)`` the teacher's stored distributions,
    ``teacher()`` the teacher itself (kept for a student with on-policy soft labels)."""
    labels = teacher_answers if student.labels == "teacher" else None
    needs = get_mode(student.mode).needs(student.options)
    soft = _distributions(student, needs, distributions)
    live = teacher if needs.distributions is not None and needs.distributions.on_policy > 0 else None
    if student.rationale is None:
        return StudentInputs(teacher_labels=labels, distributions=soft, teacher=live)
    source = get_source(student.rationale.source)

    def request(split: str) -> SourceRequest:
        return SourceRequest(
            examples=data.split(split),
            split=split,
            train_examples=data.train,
            # Marks of a source that selects no words still have the run's size (see oracle).
            k=student.rationale.k or selection.k,
            seed=seed,
            selection=Selection(selection),
            method=student.rationale.method,
            records=records,
            options=student.rationale.source_options(),
            cache=cache,
        )

    evals = None
    if needs.eval_rationales:
        evals = {**source.rationales(request("valid")), **source.rationales(request("test"))}
    train = request("train")  # one request (one selection's unit cache) for the text and the marks
    return StudentInputs(
        rationales=source.rationales(train),
        eval_rationales=evals,
        teacher_labels=labels,
        distributions=soft,
        marks=source.marks(train) if needs.marks else None,
        teacher=live,
    )


def _distributions(
    student: StudentConfig,
    needs: Needs,
    distributions: Callable[[StudentConfig], TeacherDistributions] | None,
) -> TeacherDistributions | None:
    if needs.distributions is None:
        return None
    if distributions is None:
        raise ValueError(f"mode {student.mode!r} learns the teacher's distributions: give `distributions`")
    return distributions(student)
