"""The Markdown tables of a run (benchmarks' TABLE.md), rendered from a typed ReportData:
which rows and lines appear, and that they show the data's values."""

from __future__ import annotations

import re

import pytest

from tokendistill.rationales.analysis import (
    AgreementRow,
    AnalysisResult,
    AopcRow,
    FaithfulnessRow,
    OverlapRow,
)
from tokendistill.report.data import AccuracySummary, ReportData, TeacherSummary
from tokendistill.report.markdown import (
    agreement_lines,
    aopc_table,
    faithfulness_table,
    k_sweep_lines,
    overlap_table,
    stage_times,
    student_table,
    task_section,
)


def _analysis(gold_in_input: float | None = 0.4) -> AnalysisResult:
    return AnalysisResult(
        gold_in_input=gold_in_input,
        overlap=(
            OverlapRow("saliency", 2, 10, 0.6, 0.75, 8, 0.0, 2, 0),
            OverlapRow("random", 2, 10, 0.2, 0.25, 8, None, 0, 0),
            OverlapRow("saliency", 3, 10, 0.7, 0.8, 8, 0.5, 2, 0),
        ),
        k_sweep={"saliency": {1: 0.5, 2: 0.6, 5: 0.9}, "random": {1: 0.1, 2: 0.2, 5: 0.4}},
        evidence_sweep={},
        evidence_chance={},
        agreement=(
            AgreementRow("integrated_gradients", "saliency", 2, 0.41, 0.08, 10),
            AgreementRow("integrated_gradients", "random", 2, 0.1, 0.0, 10),
            AgreementRow("random", "saliency", 2, 0.12, -0.01, 10),
        ),
        evidence=(),
        faithfulness_scale="choice_probability",
        faithfulness=(
            FaithfulnessRow(
                "saliency",
                2,
                10,
                comprehensiveness=0.204,
                comprehensiveness_random=0.035,
                sufficiency=-0.003,
                sufficiency_random=0.208,
                comprehensiveness_ci=(0.15, 0.25),
                comprehensiveness_vs_random_ci=(0.1, 0.24),
                sufficiency_vs_random_ci=(-0.3, -0.1),
                comprehensiveness_raw=0.004,
                sufficiency_raw=0.0,
            ),
            FaithfulnessRow(
                "random",
                2,
                10,
                comprehensiveness=0.048,
                comprehensiveness_random=0.035,
                sufficiency=None,
                sufficiency_random=0.208,
            ),
        ),
        aopc=(
            AopcRow(
                "saliency",
                "AOPC",
                10,
                comprehensiveness=0.31,
                comprehensiveness_random=0.12,
                sufficiency=0.05,
                sufficiency_random=0.25,
            ),
            AopcRow(
                "saliency",
                "10 %",
                10,
                comprehensiveness=0.2,
                comprehensiveness_random=0.1,
                sufficiency=0.1,
                sufficiency_random=0.3,
            ),
            AopcRow(
                "saliency",
                "50 %",
                10,
                comprehensiveness=0.42,
                comprehensiveness_random=0.14,
                sufficiency=0.0,
                sufficiency_random=0.2,
            ),
            AopcRow(
                "random",
                "AOPC",
                10,
                comprehensiveness=0.11,
                comprehensiveness_random=0.12,
                sufficiency=None,
                sufficiency_random=0.25,
            ),
            AopcRow(
                "random",
                "10 %",
                10,
                comprehensiveness=0.1,
                comprehensiveness_random=0.1,
                sufficiency=0.3,
                sufficiency_random=0.3,
            ),
            AopcRow(
                "random",
                "50 %",
                10,
                comprehensiveness=0.12,
                comprehensiveness_random=0.14,
                sufficiency=0.2,
                sufficiency_random=0.2,
            ),
        ),
    )


def _data(gold_in_input: float | None = 0.4) -> ReportData:
    students = [
        AccuracySummary("standard", "standard", [0, 1], [0.5, 0.7], [0.6, 0.8], 100, "gold labels"),
        AccuracySummary("ours-saliency", "multitask", [0], [0.8], [0.85], 100, "saliency, α=0.5"),
        AccuracySummary("ours-saliency-k@k=1", "multitask", [0], [0.55], [0.6], 100, "saliency, k=1"),
        AccuracySummary("ours-saliency-k@k=3", "multitask", [0], [0.65], [0.7], 100, "saliency, k=3"),
    ]
    return ReportData(
        title="a run",
        task="synthetic (train 10)",
        task_notes=["a note"],
        teacher=TeacherSummary("tiny-causal", 100, 0.9, 0.875),
        students=students,
        analysis=_analysis(gold_in_input),
        stage_seconds={
            "prepare": 1.0,
            "attribute/saliency-train": 30.0,
            "students/a/0": 50.0,
            "students/b/0": 70,
        },
    )


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", cell)]


def test_student_table_has_the_teacher_then_every_student_with_its_values() -> None:
    data = _data()
    header, rule, teacher, *rows = student_table(data)
    assert len(_cells(header)) == len(_cells(rule)) == 6
    assert _cells(teacher)[0] == "teacher (tiny-causal)"
    assert _numbers(_cells(teacher)[3]) == [87.5] and _numbers(_cells(teacher)[5]) == [90.0]
    for row, s in zip(rows, data.students, strict=True):
        name, detail, seeds, acc, interval, valid = _cells(row)
        assert (name, detail, seeds) == (s.name, s.detail, str(len(s.seeds)))
        assert _numbers(acc) == pytest.approx([100 * s.mean, 100 * s.std], abs=0.05)
        assert [float(x) for x in interval.split("–")] == pytest.approx([100 * c for c in s.ci95], abs=0.05)
        assert _numbers(valid) == pytest.approx(
            [100 * sum(s.valid_accuracy) / len(s.valid_accuracy)], abs=0.05
        )


def test_overlap_table_shows_the_rows_at_k() -> None:
    lines = overlap_table(_data(), 2)
    assert "40.0" in lines[0]  # the gold-in-input ceiling
    rows = [_cells(line) for line in lines if line.startswith("| ") and not line.startswith("| method")]
    assert [r[0] for r in rows] == ["saliency", "random"]
    assert rows[0][1:] == ["60.0", "75.0 (8)", "0.0 (2)"]
    assert rows[1][3] == "– (0)"  # no wrong answers: undefined, not 0
    assert len(overlap_table(_data(), 3)) == 5 and overlap_table(_data(), 5) == []


def test_overlap_not_applicable_when_the_gold_answer_is_never_in_the_input() -> None:
    (line,) = overlap_table(_data(gold_in_input=0.0), 2)
    assert "not applicable" in line and "top-2" in line


def test_faithfulness_table_shows_every_method_and_dashes_for_undefined() -> None:
    lines = faithfulness_table(_data())
    assert "10 training examples" in lines[0] and "top-2 removed" in lines[0]
    assert "normalised over the answer choices" in lines[0] and "t-interval" in lines[0]
    rows = {_cells(line)[0]: _cells(line)[1:] for line in lines[4:] if line.startswith("| ")}
    assert rows == {
        "saliency": ["0.204 [0.150, 0.250]", "0.035", "-0.003", "0.208", "0.004", "0.000"],
        "random": ["0.048", "0.035", "–", "0.208", "–", "–"],
    }
    verdicts = [line for line in lines if line.startswith("- ")]
    assert verdicts[0].startswith("- saliency (top-2), comprehensiveness: removing its top-2 words lowers")
    assert (
        "saliency (top-2), sufficiency: its top-2 words alone keep the teacher's answer better" in verdicts[1]
    )
    assert "random (top-2), comprehensiveness: too few examples" in verdicts[2]


def test_aopc_table_shows_each_methods_area_and_names_the_bins() -> None:
    lines = aopc_table(_data())
    assert "10 training examples" in lines[0] and "10 %, 50 %" in lines[0]
    rows = {_cells(line)[0]: _cells(line)[1:] for line in lines[4:]}
    assert rows == {
        "saliency": ["0.310", "0.120", "0.050", "0.250", "–", "–"],
        "random": ["0.110", "0.120", "–", "0.250", "–", "–"],
    }
    data = _data()
    data.analysis = AnalysisResult(**{**data.analysis.__dict__, "aopc": ()})
    assert aopc_table(data) == []


def test_agreement_leaves_out_pairs_with_a_control_method() -> None:
    (line,) = agreement_lines(_data())
    assert "integrated_gradients vs saliency" in line and "0.41" in line and "0.08" in line
    assert "random" not in line


def test_k_sweep_lines_cover_every_method_and_join_the_main_student() -> None:
    lines = k_sweep_lines(_data(), 2)
    assert lines[0].startswith("Student k-sweep (ours-saliency-k,")
    assert re.findall(r"k=(\d+): ([\d.]+)", lines[0]) == [("1", "55.0"), ("2", "80.0"), ("3", "65.0")]
    assert [re.search(r"\((\w+), %\)", line).group(1) for line in lines[1:]] == ["saliency", "random"]
    assert re.findall(r"k=(\d+): ([\d.]+)", lines[1]) == [("1", "50.0"), ("2", "60.0"), ("5", "90.0")]
    assert k_sweep_lines(_data(gold_in_input=0.0), 2) == lines[:1]


def test_stage_times_sum_students_and_keep_attribution_per_method() -> None:
    line = stage_times(_data())
    assert "prepare 1 s" in line and "attribute/saliency-train 30 s" in line and "students 2.0 min" in line
    assert line.endswith("total 2.5 min")


def test_task_section_puts_the_parts_in_order() -> None:
    text = task_section(_data(), "tokendistill run x.yaml", 2)
    order = ["### a run", "Task: synthetic (train 10).", "Note: a note", "tokendistill run x.yaml"]
    order += ["| teacher (tiny-causal)", "Gold answer among the top-2", "Faithfulness", "AOPC", "Agreement"]
    order += ["Student k-sweep", "Gold-answer overlap against k (saliency", "Wall time per stage"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
