"""A run's figures as an experiment tracker logs them (``tracking/``): the same numbers as
metrics.json, as scalars named ``<table>/<row>/<column>``, sweeps over k as steps, and the
report's tables as Markdown."""

from __future__ import annotations

from collections.abc import Mapping

from tokendistill.rationales.analysis.result import Row
from tokendistill.report.data import ReportData
from tokendistill.report.markdown import (
    agreement_lines,
    aopc_table,
    faithfulness_table,
    k_sweep_lines,
    overlap_table,
    student_table,
)
from tokendistill.tracking import Figures

# Columns that name a row rather than measure it.
_ROW_NAMES = ("method", "methods", "bin", "k")


def report_figures(data: ReportData, k: int) -> Figures:
    """The final accuracy table (test accuracy per student, mean over seeds, and its 95 %
    interval; the teacher's), the analyses at the selection's ``k`` and against k."""
    scalars: dict[str, float] = {}
    if data.teacher.test_accuracy is not None:
        scalars["accuracy/teacher"] = data.teacher.test_accuracy
    for s in data.students:
        scalars[f"accuracy/{s.name}"] = s.mean
        scalars[f"accuracy_ci95_low/{s.name}"] = s.ci95[0]
        scalars[f"accuracy_ci95_high/{s.name}"] = s.ci95[1]
    analysis = data.analysis
    tables = {
        "overlap": analysis.overlap,
        "evidence": analysis.evidence,
        "faithfulness": analysis.faithfulness,
        "aopc": analysis.aopc,
        "agreement": analysis.agreement,
    }
    for table, rows in tables.items():
        for row in rows:
            scalars.update(_row_scalars(table, row))
    if analysis.gold_in_input is not None:
        scalars["analysis/gold_in_input"] = analysis.gold_in_input
    series = {
        **_sweeps("analysis/k_sweep", analysis.k_sweep),
        **_sweeps("analysis/evidence_sweep", analysis.evidence_sweep),
        **_sweeps("analysis/evidence_sweep", {"chance": analysis.evidence_chance}),
    }
    texts = {
        "accuracy": "\n".join(student_table(data)),
        "analysis": "\n\n".join("\n".join(lines) for lines in _analysis_tables(data, k) if lines),
    }
    return Figures(scalars=_finite(scalars), series=series, texts={key: t for key, t in texts.items() if t})


def _analysis_tables(data: ReportData, k: int) -> list[list[str]]:
    return [
        overlap_table(data, k),
        faithfulness_table(data),
        aopc_table(data),
        agreement_lines(data),
        k_sweep_lines(data, k),
    ]


def stage_figures(seconds: Mapping[str, float]) -> Figures:
    """Wall time of each artifact a stage built or read (``stage/name``: attribution per method
    and split, training per student and seed)."""
    return Figures(scalars={f"seconds/{label}": value for label, value in seconds.items()})


def _row_scalars(table: str, row: Row) -> dict[str, float]:
    values = row.to_json()
    name = "/".join(
        f"k={values[h]}" if h == "k" else str(values[h]) for h in _ROW_NAMES if values.get(h) is not None
    )
    return {
        f"analysis/{table}/{name}/{header}": value
        for header, value in values.items()
        if header not in _ROW_NAMES and isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def _sweeps(prefix: str, sweeps: Mapping[str, Mapping[int, float | None]]) -> dict[str, dict[int, float]]:
    return {
        f"{prefix}/{name}": {int(k): v for k, v in points.items() if v is not None}
        for name, points in sweeps.items()
        if any(v is not None for v in points.values())
    }


def _finite(values: dict[str, float]) -> dict[str, float]:
    """Undefined figures (NaN, no examples) are left out rather than logged as NaN."""
    return {k: float(v) for k, v in values.items() if v is not None and v == v}
