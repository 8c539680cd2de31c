"""What a report shows, as plain data (also written verbatim as metrics.json)."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field


@dataclass
class AccuracySummary:
    """Test accuracy of one model over seeds, with a 95 % interval.

    With several seeds the interval is mean ± t·sd/√n over seeds; with one seed it is the
    Wilson score interval of the test accuracy over ``n_test`` examples, so a reader can
    still see whether a difference could be noise.
    """

    name: str
    mode: str
    seeds: list[int]
    test_accuracy: list[float]
    valid_accuracy: list[float]
    n_test: int
    detail: str = ""
    mean: float = field(init=False)
    std: float = field(init=False)
    ci95: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        accs = self.test_accuracy
        self.mean = statistics.fmean(accs) if accs else float("nan")
        self.std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        if len(accs) > 1:
            half = _t95(len(accs) - 1) * self.std / math.sqrt(len(accs))
            self.ci95 = (self.mean - half, self.mean + half)
        elif accs:
            self.ci95 = wilson_interval(self.mean, self.n_test)
        else:
            self.ci95 = (float("nan"), float("nan"))


def wilson_interval(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` observed on ``n`` trials."""
    if n <= 0:
        return (float("nan"), float("nan"))
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def _t95(dof: int) -> float:
    return _T95.get(dof, 1.96 if dof > 30 else 2.2)


@dataclass
class HeatmapExample:
    """One example's token scores for display."""

    example_id: str
    text: str
    offsets: list[tuple[int, int]]
    scores: list[float]
    content: list[bool]
    selected: list[tuple[int, int]]
    gold: str
    teacher_answer: str
    method: str


@dataclass
class ReportData:
    title: str
    task: str
    task_notes: list[str]
    teacher: dict
    students: list[AccuracySummary]
    overlap: list[dict] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    k_sweep: dict[str, dict[int, float]] = field(default_factory=dict)
    evidence_sweep: dict[str, dict[int, float]] = field(default_factory=dict)
    gold_in_input: float | None = None
    faithfulness: list[dict] = field(default_factory=list)
    agreement: list[dict] = field(default_factory=list)
    heatmaps: list[HeatmapExample] = field(default_factory=list)
    curves: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    config_text: str = ""

    def to_json(self) -> dict:
        return asdict(self)
