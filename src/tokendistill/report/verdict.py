"""What a run measured, in words: each student against the baseline, beyond noise or not.

The baseline is the run's first student that trains on labels alone (its mode needs no
rationale), usually ``standard``. A difference counts only when the two 95 % intervals do
not overlap (over seeds with several seeds, Wilson over test examples with one): a
conservative reading that never calls noise an effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokendistill.report.data import AccuracySummary
from tokendistill.training.modes import get_mode, list_modes


@dataclass(frozen=True)
class Verdict:
    student: str
    baseline: str
    difference: float  # mean test accuracy, student minus baseline
    beyond_intervals: bool

    def sentence(self) -> str:
        points = f"{100 * abs(self.difference):.1f} points"
        if not self.beyond_intervals:
            return (
                f"{self.student}: no difference from {self.baseline} this run can show "
                f"({'+' if self.difference >= 0 else '−'}{points}, the 95 % intervals overlap)."
            )
        side = "better" if self.difference > 0 else "worse"
        return f"{self.student}: {side} than {self.baseline} by {points}, beyond both 95 % intervals."


def baseline_of(students: Sequence[AccuracySummary]) -> AccuracySummary | None:
    """The first label-only student (a registered mode that needs no rationale)."""
    label_only = {m for m in list_modes() if not get_mode(m).needs_rationale}
    return next((s for s in students if s.mode in label_only), None)


def verdicts(students: Sequence[AccuracySummary]) -> list[Verdict]:
    """Every other student against the baseline (empty without a baseline)."""
    base = baseline_of(students)
    if base is None:
        return []
    return [
        Verdict(s.name, base.name, s.mean - base.mean, s.ci95[0] > base.ci95[1] or s.ci95[1] < base.ci95[0])
        for s in students
        if s is not base
    ]
