"""What a report shows, as typed data; its JSON form is metrics.json."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from tokendistill.heatmap import HeatmapExample
from tokendistill.rationales.analysis.result import AnalysisResult
from tokendistill.stats import t95, wilson_interval

# Curves of a student mode's own loss terms are named TERM_PREFIX + the term's name.
TERM_PREFIX = "term:"


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
            half = t95(len(accs) - 1) * self.std / math.sqrt(len(accs))
            # An accuracy lies in [0, 1]; so does what the interval can claim about it.
            self.ci95 = (max(0.0, self.mean - half), min(1.0, self.mean + half))
        elif accs:
            self.ci95 = wilson_interval(self.mean, self.n_test)
        else:
            self.ci95 = (float("nan"), float("nan"))


@dataclass
class TeacherSummary:
    """The teacher's row of the accuracy table."""

    model: str
    n_test: int
    valid_accuracy: float | None
    test_accuracy: float | None


# metrics.json keeps the analysis figures between the students and the heatmaps, in this order.
_ANALYSIS_KEYS = (
    "overlap",
    "evidence",
    "k_sweep",
    "evidence_sweep",
    "gold_in_input",
    "faithfulness_scale",
    "faithfulness",
    "aopc",
    "agreement",
)


@dataclass
class ReportData:
    """Everything a report shows; ``to_json()`` is metrics.json and ``from_json()`` reads it
    back typed (the Markdown tables of the benchmarks render from it)."""

    title: str
    task: str
    task_notes: list[str]
    teacher: TeacherSummary
    students: list[AccuracySummary]
    analysis: AnalysisResult
    heatmaps: list[HeatmapExample] = field(default_factory=list)
    curves: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # Each training stage's profile (``training/profile.py``), by stage label.
    stage_profiles: dict[str, dict] = field(default_factory=dict)
    config_text: str = ""

    def to_json(self) -> dict[str, Any]:
        analysis = self.analysis.to_json()
        return {
            "title": self.title,
            "task": self.task,
            "task_notes": list(self.task_notes),
            "teacher": asdict(self.teacher),
            "students": [asdict(s) for s in self.students],
            **{key: analysis[key] for key in _ANALYSIS_KEYS},
            "heatmaps": [asdict(h) for h in self.heatmaps],
            "curves": self.curves,
            "stage_seconds": self.stage_seconds,
            "stage_profiles": self.stage_profiles,
            "config_text": self.config_text,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportData:
        return cls(
            title=data["title"],
            task=data["task"],
            task_notes=list(data.get("task_notes", [])),
            teacher=TeacherSummary(**data["teacher"]),
            students=[_accuracy_from_json(s) for s in data["students"]],
            analysis=AnalysisResult.from_json(data),
            heatmaps=[_heatmap_from_json(h) for h in data.get("heatmaps", [])],
            curves={
                name: {kind: [(x, y) for x, y in points] for kind, points in series.items()}
                for name, series in data.get("curves", {}).items()
            },
            stage_seconds=dict(data.get("stage_seconds", {})),
            stage_profiles=dict(data.get("stage_profiles", {})),
            config_text=data.get("config_text", ""),
        )


def _accuracy_from_json(data: dict[str, Any]) -> AccuracySummary:
    """The stored figures as written (mean, std and interval too, not derived again)."""
    summary = AccuracySummary(**{f.name: data[f.name] for f in fields(AccuracySummary) if f.init})
    summary.mean, summary.std = data["mean"], data["std"]
    summary.ci95 = (data["ci95"][0], data["ci95"][1])
    return summary


def _heatmap_from_json(data: dict[str, Any]) -> HeatmapExample:
    spans = {"offsets": [tuple(s) for s in data["offsets"]], "selected": [tuple(s) for s in data["selected"]]}
    return HeatmapExample(**{**data, **spans})
