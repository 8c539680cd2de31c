"""A sweep's results as a table (Markdown, JSON) and a self-contained HTML page with plots
of test accuracy against each knob."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokendistill.report import plots
from tokendistill.report.data import AccuracySummary
from tokendistill.runtime.files import atomic_write_text, canonical_json
from tokendistill.sweep.config import SweepConfig, short, show
from tokendistill.sweep.run import CellResult


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _cell_text(s: AccuracySummary) -> str:
    return f"{_pct(s.mean)} ± {_pct(s.std)} [{_pct(s.ci95[0])}, {_pct(s.ci95[1])}]"


def students_of(results: Sequence[CellResult]) -> list[str]:
    """Student names in the order the base config lists them."""
    names: list[str] = []
    for result in results:
        names += [s.name for s in result.report.students if s.name not in names]
    return names


def markdown_table(sweep: SweepConfig, results: Sequence[CellResult]) -> str:
    """One row per cell: the knobs, the teacher, then each student's test accuracy in %
    as mean ± std over seeds [95 % interval]."""
    names = students_of(results)
    header = [*(short(k) for k in sweep.axes), "teacher", *names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        by_name = {s.name: s for s in r.report.students}
        cells = [show(r.cell.values[k]) for k in sweep.axes]
        teacher = r.report.teacher.test_accuracy
        cells.append("–" if teacher is None else _pct(teacher))
        cells += [_cell_text(by_name[n]) if n in by_name else "–" for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sweep_json(sweep: SweepConfig, results: Sequence[CellResult]) -> dict[str, Any]:
    return {
        "title": sweep.title,
        "seeds": sweep.seeds,
        "axes": sweep.axes,
        "cells": [
            {
                "label": r.cell.label,
                "settings": r.cell.settings,
                "values": r.cell.values,
                "teacher_test_accuracy": r.report.teacher.test_accuracy,
                "students": [
                    {
                        "name": s.name,
                        "test_accuracy": s.test_accuracy,
                        "mean": s.mean,
                        "std": s.std,
                        "ci95": s.ci95,
                    }
                    for s in r.report.students
                ],
            }
            for r in results
        ],
    }


def axis_lines(sweep: SweepConfig, results: Sequence[CellResult], axis: str) -> list[CellResult]:
    """The cells along ``axis``: every other knob at the base point's value, in axis order."""
    base = next((r for r in results if not r.cell.settings), results[0])
    others = [k for k in sweep.axes if k != axis]
    same = [r for r in results if all(_eq(r.cell.values[k], base.cell.values[k]) for k in others)]
    order = [canonical_json(v) for v in sweep.axes[axis]]
    keyed = {canonical_json(r.cell.values[axis]): r for r in same}
    return [keyed[v] for v in order if v in keyed]


def write_outputs(sweep: SweepConfig, results: Sequence[CellResult], command: str) -> Path:
    """sweep.json, SWEEP.md and sweep.html in the sweep's run directory; returns the HTML path."""
    out = Path(sweep.run_dir)
    table = markdown_table(sweep, results)
    atomic_write_text(out / "sweep.json", json.dumps(sweep_json(sweep, results), indent=1) + "\n")
    header = f"## {sweep.title}\n\n```bash\n{command}\n```\n\n"
    note = f"Test accuracy (%), mean ± std over seeds {sweep.seeds} [95 % interval].\n\n"
    atomic_write_text(out / "SWEEP.md", header + note + table + "\n")
    figures = []
    for axis in sweep.axes:
        line = axis_lines(sweep, results, axis)
        if len(line) > 1:
            series = {n: [_summary(r, n) for r in line] for n in students_of(line)}
            image = plots.accuracy_against(short(axis), [show(r.cell.values[axis]) for r in line], series)
            title = html.escape(short(axis))
            figures.append(f'<h3>against {title}</h3><img alt="{title}" src="data:image/png;base64,{image}">')
    page = _page(sweep, results, command, table, figures)
    path = out / "sweep.html"
    atomic_write_text(path, page)
    return path


def _summary(result: CellResult, name: str) -> AccuracySummary | None:
    return next((s for s in result.report.students if s.name == name), None)


def _page(
    sweep: SweepConfig, results: Sequence[CellResult], command: str, table: str, figures: list[str]
) -> str:
    rows = [line.strip("|").split(" | ") for line in table.splitlines()]
    head = "".join(f"<th>{html.escape(c.strip())}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in row) + "</tr>" for row in rows[2:]
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in results[0].report.task_notes) if results else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(sweep.title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:right}"
        "th{background:#f4f4f4}img{max-width:100%}code{background:#f6f6f6}</style></head><body>"
        f"<h1>{html.escape(sweep.title)}</h1><p><code>{html.escape(command)}</code></p>"
        f"<p>Test accuracy (%), mean ± std over seeds {sweep.seeds} [95 % interval].</p>"
        f"<p>Base task:</p><ul>{notes}</ul>"
        f"<table><tr>{head}</tr>{body}</table><h2>Test accuracy against each knob</h2>{''.join(figures)}"
        "</body></html>"
    )


def _eq(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)
