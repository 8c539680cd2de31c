"""The self-contained HTML report and its metrics.json."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from tokendistill.heatmap import render_heatmap
from tokendistill.rationales.analysis.result import AnalysisResult, AopcRow, FaithfulnessRow, Row
from tokendistill.report import faithfulness, plots
from tokendistill.report.data import TERM_PREFIX, ReportData
from tokendistill.report.timing import header, stage_rows, training_split
from tokendistill.report.verdict import verdicts
from tokendistill.runtime.files import atomic_write_text
from tokendistill.stats import wilson_interval

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ddd;padding:.3em .7em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4em .8em;margin:.4em 0}
.heat{border:1px solid #e3e3e3;border-radius:6px;padding:.5em .8em;margin:.6em 0}
.heat .meta{font-size:.85em;color:#555;margin-bottom:.3em}.heat .text{font-family:ui-monospace,monospace;
font-size:.9em}.sel{text-decoration:underline 2px #222}.tpl{color:#999}
img{max-width:100%}pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:.8em}
.muted{color:#777;font-size:.9em}
"""


def _pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{100 * value:.1f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _accuracy_section(data: ReportData) -> str:
    teacher = data.teacher
    t_acc, t_n = teacher.test_accuracy, teacher.n_test
    t_ci = wilson_interval(t_acc, t_n) if t_acc is not None and t_n else None
    rows = [
        [
            "<b>teacher</b> " + html.escape(teacher.model),
            "–",
            _pct(teacher.valid_accuracy),
            _pct(t_acc),
            f"[{_pct(t_ci[0])}, {_pct(t_ci[1])}]" if t_ci else "–",
            "1",
        ]
    ]
    for s in data.students:
        seeds = len(s.test_accuracy)
        rows.append(
            [
                html.escape(s.name)
                + (f' <span class="muted">{html.escape(s.detail)}</span>' if s.detail else ""),
                html.escape(s.mode),
                _pct(sum(s.valid_accuracy) / len(s.valid_accuracy)) if s.valid_accuracy else "–",
                f"{_pct(s.mean)} ± {_pct(s.std)}" if seeds > 1 else _pct(s.mean),
                f"[{_pct(s.ci95[0])}, {_pct(s.ci95[1])}]",
                str(seeds),
            ]
        )
    headers = ["model", "mode", "valid acc (%)", "test acc (%)", "95% interval", "seeds"]
    img = plots.accuracy_bars(data.students, teacher.test_accuracy) if data.students else ""
    chart = f'<img alt="accuracy chart" src="data:image/png;base64,{img}">' if img else ""
    return "<h2>Accuracy</h2>" + _table(headers, rows) + chart


def _rows_table(rows: Sequence[Row]) -> str:
    """Typed rows under the column headers their type defines."""
    return _table(rows[0].headers(), [[html.escape(_fmt(v)) for v in r.values()] for r in rows])


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{alt}" src="data:image/png;base64,{b64}">'


def _evidence_section(analysis: AnalysisResult) -> str:
    if not analysis.evidence:
        return ""
    out = ["<h2>Planted evidence found by the top-k words</h2>", _rows_table(analysis.evidence)]
    if analysis.evidence_sweep:
        plot = plots.k_sweep(
            analysis.evidence_sweep, "planted-evidence hit rate (%)", analysis.evidence_chance
        )
        out.append(_img(plot, "evidence k sweep"))
    return "".join(out)


def _overlap_section(analysis: AnalysisResult) -> str:
    if not analysis.overlap:
        return ""
    if analysis.gold_in_input == 0:
        return (
            '<h2>Gold-answer overlap</h2><p class="muted">Not applicable: no example\'s gold answer '
            "appears in its input, so no selection can contain it.</p>"
        )
    ceiling = (
        ""
        if analysis.gold_in_input is None
        else f" (ceiling: {_pct(analysis.gold_in_input)}% of inputs contain it)"
    )
    out = [
        "<h2>Gold-answer overlap of the selected words</h2>",
        '<p class="muted">Share of examples whose selected words include a word of the gold answer'
        f"{ceiling}; the paper reports 68% for its top-5 tokens.</p>",
        _rows_table(analysis.overlap),
    ]
    if analysis.k_sweep:
        out.append(_img(plots.k_sweep(analysis.k_sweep, "gold-answer overlap (%)"), "k sweep"))
    return "".join(out)


def _rationale_sections(data: ReportData) -> str:
    analysis = data.analysis
    out = [_evidence_section(analysis), _overlap_section(analysis)]
    if analysis.faithfulness:
        out.append(
            '<h2>Faithfulness on the teacher</h2><p class="muted">Change in the teacher\'s answer '
            "when the top-k words are removed (comprehensiveness: higher is more faithful) or are all "
            "that is kept (sufficiency: lower is more faithful), against k random words from the same "
            f"pool. {html.escape(faithfulness.scale_sentence(analysis))}</p>"
            + _erasure_table(analysis.faithfulness, "k", "random-k")
            + _erasure_verdicts(analysis)
        )
    if analysis.aopc:
        out.append(_aopc_section(analysis))
    if analysis.agreement:
        out.append("<h2>Method agreement</h2>" + _rows_table(analysis.agreement))
    if data.heatmaps:
        out.append("<h2>Token heatmaps</h2>")
        out.append(
            '<p class="muted">Shading: |score| relative to the example\'s largest content score; '
            "underlined: selected rationale words; grey: template text (never selected).</p>"
        )
        out.extend(render_heatmap(h) for h in data.heatmaps)
    return "".join(out)


def _aopc_section(analysis: AnalysisResult) -> str:
    """AOPC per method, then every bin's figures, each against random units from the same pool."""
    areas = [r for r in analysis.aopc if r.bin == "AOPC"]
    bins = [r for r in analysis.aopc if r.bin != "AOPC"]
    return (
        '<h2>Faithfulness over rationale sizes (AOPC)</h2><p class="muted">ERASER\'s area over the '
        "perturbation curve: the same two figures averaged over rationale sizes given as shares of each "
        "example's eligible words (the bins below: "
        + html.escape(", ".join(r.bin for r in bins if r.method == areas[0].method))
        + "), against as many random words, on the same scale as above.</p>"
        + _erasure_table(areas, "bin", "random")
        + (_erasure_table(bins, "bin", "random") if bins else "")
    )


def _erasure_table(rows: Sequence[FaithfulnessRow | AopcRow], key: str, random: str) -> str:
    """Figures with their 95 % intervals against the random baseline, then the raw columns."""
    headers = [
        "method",
        key,
        "examples",
        "comprehensiveness [95% interval]",
        f"comp. {random}",
        "sufficiency [95% interval]",
        f"suff. {random}",
        "raw comp.",
        f"raw comp. {random}",
        "raw suff.",
        f"raw suff. {random}",
    ]
    body = [
        [html.escape(r.method), html.escape(str(getattr(r, key))), str(r.examples)]
        + [html.escape(c) for c in faithfulness.row_cells(r)]
        for r in rows
    ]
    return _table(headers, body)


def _erasure_verdicts(analysis: AnalysisResult) -> str:
    items = "".join(f"<li>{html.escape(v)}</li>" for v in faithfulness.erasure_verdicts(analysis))
    return f"<p>Each method against its random control:</p><ul>{items}</ul>" if items else ""


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _verdict_section(data: ReportData) -> str:
    found = verdicts(data.students)
    if not found:
        return ""
    seeds = max(len(s.seeds) for s in data.students)
    interval = "over seeds" if seeds > 1 else "Wilson, over test examples"
    items = "".join(f"<li>{html.escape(v.sentence())}</li>" for v in found)
    baseline = html.escape(found[0].baseline)
    return (
        f"<h2>What this run measured</h2><p>Test accuracy of each student against {baseline} "
        f"({seeds} seed(s); a difference counts when the 95 % intervals, {interval}, do not overlap):</p>"
        f"<ul>{items}</ul>"
    )


def _terms_table(curves: dict[str, dict[str, list[tuple[float, float]]]]) -> str:
    """Each student's own loss terms (beyond its tasks' cross-entropy): first and last values."""
    rows = [
        [
            html.escape(student),
            html.escape(key.removeprefix(TERM_PREFIX)),
            f"{points[0][1]:.4f}",
            f"{points[-1][1]:.4f}",
        ]
        for student, series in curves.items()
        for key, points in series.items()
        if key.startswith(TERM_PREFIX) and points
    ]
    if not rows:
        return ""
    return "<h3>Loss terms</h3>" + _table(["student", "term", "first logged", "last logged"], rows)


def render_report(data: ReportData) -> str:
    notes = "".join(f'<div class="note">{html.escape(n)}</div>' for n in data.task_notes)
    curves = ""
    if data.curves:
        img = plots.training_curves(data.curves)
        curves = f'<h2>Training curves</h2><img alt="training curves" src="data:image/png;base64,{img}">'
        curves += _terms_table(data.curves)
    timing = ""
    if data.stage_seconds:
        rows = [[html.escape(c) for c in row] for row in stage_rows(data.stage_seconds, data.stage_profiles)]
        split = training_split(data.stage_profiles)
        timing = "<h2>Stage wall time</h2>" + _table(header(short=True), rows)
        timing += f'<p class="muted">{html.escape(split)}</p>' if split else ""
    config = f"<h2>Configuration</h2><pre>{html.escape(data.config_text)}</pre>" if data.config_text else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(data.title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(data.title)}</h1>"
        f'<p class="muted">task: {html.escape(data.task)}</p>{notes}{_verdict_section(data)}'
        f"{_accuracy_section(data)}{_rationale_sections(data)}{curves}{timing}{config}</body></html>"
    )


def write_report(data: ReportData, out_dir: Path) -> Path:
    """Write ``report.html`` and ``metrics.json`` into ``out_dir`` atomically; return the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "metrics.json", json.dumps(data.to_json(), indent=2, default=str))
    path = out_dir / "report.html"
    atomic_write_text(path, render_report(data))
    return path
