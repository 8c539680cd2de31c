"""ReportData: metrics.json written from typed data and read back typed; the heatmaps of
the report skip control methods by their trait, not by name."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from pipeline.helpers import small_config
from tokendistill.attribution import TokenAttribution, list_methods, method_class
from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.heatmap import HeatmapExample
from tokendistill.report.data import AccuracySummary, ReportData
from tokendistill.stages.report import heatmaps, student_detail

from .test_report_markdown import _data

METRICS_KEYS = [
    "title",
    "task",
    "task_notes",
    "teacher",
    "students",
    "overlap",
    "evidence",
    "k_sweep",
    "evidence_sweep",
    "gold_in_input",
    "faithfulness_scale",
    "faithfulness",
    "aopc",
    "agreement",
    "heatmaps",
    "curves",
    "stage_seconds",
    "stage_profiles",
    "config_text",
]


def test_metrics_json_keys_and_a_typed_read_back() -> None:
    data = _data()
    data.heatmaps = [
        HeatmapExample("e", "a b", [(0, 1), (2, 3)], [0.5, 1.0], [True, True], [(2, 3)], "g", "g", "m")
    ]
    data.curves = {"standard (seed 0)": {"valid_accuracy": [(10, 0.5)]}}
    doc = json.loads(json.dumps(data.to_json()))
    assert list(doc) == METRICS_KEYS
    assert doc["teacher"] == {
        "model": "tiny-causal",
        "n_test": 100,
        "valid_accuracy": 0.9,
        "test_accuracy": 0.875,
    }
    assert doc["students"][0]["ci95"] == list(data.students[0].ci95)
    assert doc["agreement"][0] == {
        "methods": "integrated_gradients vs saliency",
        "top-2 Jaccard": 0.41,
        "Spearman": 0.08,
        "examples": 10,
    }
    again = ReportData.from_json(doc)
    assert again == data
    assert json.loads(json.dumps(again.to_json())) == doc


def test_every_method_but_the_random_control_is_explanatory() -> None:
    assert method_class("random").is_control
    assert [m for m in list_methods() if method_class(m).is_control] == ["random"]


def _records(prefix: str) -> list[TokenAttribution]:
    text = "the cue word here"
    words = [(w, text.index(w)) for w in text.split()]
    return [
        TokenAttribution(
            example_id=f"{prefix}{i}",
            split="train",
            text=text,
            tokens=[w for w, _ in words],
            offsets=[(s, s + len(w)) for w, s in words],
            content=[True] * len(words),
            scores=[0.1, 0.9, 0.5, 0.2],
            target="food",
            teacher_answer="food",
            gold="food",
            teacher_correct=True,
        )
        for i in range(3)
    ]


def test_heatmaps_come_from_the_first_method_that_is_not_a_control(tmp_path: Path) -> None:
    config = validate_config(small_config(tmp_path), Config)
    shown = heatmaps(config, {"random": _records("r"), "saliency": _records("s")})
    assert [h.method for h in shown] == ["saliency", "saliency"]  # analysis.heatmaps = 2
    assert [h.example_id for h in shown] == ["s0", "s1"]
    # The config's selection: top-3 words without stopwords ("the", "here"): "cue", "word".
    assert shown[0].selected == [(4, 7), (8, 12)]


def test_seed_interval_is_students_t_and_stays_within_zero_and_one() -> None:
    accs = [0.6, 0.7, 0.8, 0.65, 0.75, 0.7, 0.72, 0.68, 0.7, 0.71, 0.69, 0.7]
    twelve = AccuracySummary("s", "standard", list(range(12)), accs, accs, n_test=100)
    half = 2.201 * statistics.stdev(accs) / math.sqrt(12)  # t, 11 degrees of freedom
    assert twelve.ci95 == (twelve.mean - half, twelve.mean + half)
    near_top = AccuracySummary("s", "standard", [0, 1, 2], [0.9, 1.0, 1.0], [1.0] * 3, n_test=100)
    assert near_top.ci95[1] == 1.0 and near_top.ci95[0] == near_top.mean - 4.303 * near_top.std / math.sqrt(3)
    near_zero = AccuracySummary("s", "standard", [0, 1, 2], [0.1, 0.0, 0.0], [0.0] * 3, n_test=100)
    assert near_zero.ci95[0] == 0.0 and near_zero.ci95[1] > near_zero.mean


def test_the_two_random_controls_have_plain_distinct_labels(tmp_path: Path) -> None:
    data = small_config(tmp_path)
    data["students"] = [
        {"name": "words", "mode": "multitask", "rationale": {"source": "random", "k": 2}},
        {"name": "scores", "mode": "multitask", "rationale": {"source": "attribution", "method": "random"}},
        {"name": "ours", "mode": "multitask", "rationale": {"source": "attribution", "method": "saliency"}},
    ]
    config = validate_config(data, Config)
    details = [student_detail(s).split(",")[0] for s in config.students]
    assert details == ["random selection", "random scores", "saliency"]
