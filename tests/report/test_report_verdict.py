"""The report's plain statement: each student against the first label-only one, a
difference only where the 95 % intervals do not overlap."""

from __future__ import annotations

from tokendistill.report.data import AccuracySummary
from tokendistill.report.verdict import baseline_of, verdicts


def _summary(name: str, mode: str, accuracies: list[float]) -> AccuracySummary:
    return AccuracySummary(name, mode, list(range(len(accuracies))), accuracies, accuracies, n_test=400)


def test_students_are_compared_with_the_first_label_only_student() -> None:
    students = [
        _summary("ours", "multitask", [0.95, 0.97, 0.96]),
        _summary("standard", "standard", [0.70, 0.74, 0.72]),
        _summary("distill", "standard", [0.71, 0.73, 0.75]),
        _summary("random-k", "multitask", [0.60, 0.90, 0.75]),
        _summary("worse", "multitask", [0.40, 0.42, 0.41]),
    ]
    assert baseline_of(students).name == "standard"
    found = {v.student: v for v in verdicts(students)}
    assert set(found) == {"ours", "distill", "random-k", "worse"}
    assert found["ours"].beyond_intervals and found["ours"].sentence().startswith(
        "ours: better than standard by 24.0 points"
    )
    assert not found["distill"].beyond_intervals
    assert "no difference from standard this run can show (+1.0 points" in found["distill"].sentence()
    assert not found["random-k"].beyond_intervals  # a wide interval: noise, not an effect
    assert found["worse"].sentence().startswith("worse: worse than standard by 31.0 points")


def test_no_label_only_student_no_verdict() -> None:
    assert verdicts([_summary("ours", "multitask", [0.9])]) == []
