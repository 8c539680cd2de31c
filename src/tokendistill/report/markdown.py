"""A run's figures as Markdown: the comparison tables of the benchmarks, from a typed
``ReportData`` (``ReportData.from_json`` reads a finished run's metrics.json).

Control methods (``AttributionMethod.is_control``, e.g. random scores) are reported like
the others, but left out of the method-agreement line: agreeing with noise says nothing.
"""

from __future__ import annotations

from collections import defaultdict

from tokendistill.attribution import method_class
from tokendistill.rationales.analysis.result import AopcRow, FaithfulnessRow
from tokendistill.report import faithfulness
from tokendistill.report.data import ReportData
from tokendistill.report.timing import training_split

__all__ = [
    "agreement_lines",
    "aopc_table",
    "faithfulness_table",
    "k_sweep_lines",
    "overlap_table",
    "stage_times",
    "student_table",
    "task_section",
]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _seconds(s: float) -> str:
    return f"{s / 60:.1f} min" if s >= 60 else f"{s:.0f} s"


def student_table(data: ReportData) -> list[str]:
    """The teacher, then every student: mean ± std over seeds, 95 % interval, best valid."""
    lines = [
        "| student | trained on | seeds | test acc. % (mean ± std) | 95 % interval | best valid % |",
        "|---|---|---:|---:|---:|---:|",
    ]
    teacher = data.teacher
    lines.append(
        f"| teacher ({teacher.model}) | gold labels | 1 | {_pct(teacher.test_accuracy)} | "
        f"| {_pct(teacher.valid_accuracy)} |"
    )
    for s in data.students:
        low, high = s.ci95
        valid = sum(s.valid_accuracy) / len(s.valid_accuracy)
        lines.append(
            f"| {s.name} | {s.detail} | {len(s.seeds)} | "
            f"{_pct(s.mean)} ± {_pct(s.std)} | {_pct(low)}–{_pct(high)} | {_pct(valid)} |"
        )
    return lines


def overlap_table(data: ReportData, k: int) -> list[str]:
    """Gold-answer overlap of every method's top-``k``, by teacher right/wrong."""
    analysis = data.analysis
    rows = [r for r in analysis.overlap if r.k == k]
    if not rows:
        return []
    if analysis.gold_in_input == 0:
        never = "not applicable, the gold answer never appears in the input"
        return [f"Gold answer among the top-{k} tokens: {never}."]
    lines = [
        f"Gold answer among the top-{k} tokens (share of training examples; "
        f"the gold answer appears in the input for {_pct(analysis.gold_in_input)} %):",
        "",
        "| method | all | teacher right (n) | teacher wrong (n) |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.method} | {_pct(r.overlap)} | {_pct(r.teacher_right)} ({r.n_right}) | "
            f"{_pct(r.teacher_wrong)} ({r.n_wrong}) |"
        )
    return lines


def faithfulness_table(data: ReportData) -> list[str]:
    """Does removing the top-k hurt the teacher more than removing k random tokens? Each
    figure with its 95 % interval, then each method against its random control in words."""
    rows = data.analysis.faithfulness
    if not rows:
        return []
    lines = [
        f"Faithfulness to the teacher ({rows[0].examples} training examples; comprehensiveness: "
        f"top-{rows[0].k} removed, higher is better; sufficiency: only they kept, lower is better). "
        + faithfulness.scale_sentence(data.analysis),
        "",
        "| method | comprehensiveness | same for random-k | sufficiency | same for random-k "
        "| raw comp. | raw suff. |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    return (
        lines
        + [_drop_row(r) for r in rows]
        + ["", *(f"- {v}" for v in faithfulness.erasure_verdicts(data.analysis))]
    )


def _drop_row(r: FaithfulnessRow | AopcRow) -> str:
    """A method's comprehensiveness and sufficiency (with intervals) next to the random
    baseline's, then the method's raw figures."""
    comp, comp_r, suff, suff_r, raw_comp, _, raw_suff, _ = faithfulness.row_cells(r)
    return f"| {r.method} | {comp} | {comp_r} | {suff} | {suff_r} | {raw_comp} | {raw_suff} |"


def aopc_table(data: ReportData) -> list[str]:
    """AOPC of every method (mean over the rationale-size bins), against random units."""
    rows = [r for r in data.analysis.aopc if r.bin == "AOPC"]
    if not rows:
        return []
    bins = ", ".join(r.bin for r in data.analysis.aopc if r.method == rows[0].method and r.bin != "AOPC")
    lines = [
        f"AOPC (ERASER; {rows[0].examples} training examples, the same drops averaged over rationales of "
        f"{bins} of each example's eligible words):",
        "",
        "| method | AOPC comprehensiveness | same for random | AOPC sufficiency | same for random "
        "| raw comp. | raw suff. |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    return lines + [_drop_row(r) for r in rows]


def agreement_lines(data: ReportData) -> list[str]:
    """Top-k Jaccard and Spearman of every pair of non-control methods, on one line."""
    cells = [
        f"{r.methods}: top-k Jaccard {_num(r.jaccard, 2)}, Spearman {_num(r.spearman, 2)}"
        for r in data.analysis.agreement
        if not (method_class(r.method_a).is_control or method_class(r.method_b).is_control)
    ]
    return [f"Agreement between methods: {'; '.join(cells)}"] if cells else []


def k_sweep_lines(data: ReportData, k: int) -> list[str]:
    """Student accuracy against k (students named ``<base>@k=N``, joined by the main run's
    ``<base>`` without ``-k`` at the selection's ``k``), then every method's gold overlap
    against k where the gold answer can appear in the input."""
    swept: dict[str, dict[int, float]] = defaultdict(dict)
    by_name = {s.name: s for s in data.students}
    for name, s in by_name.items():
        if "@k=" in name:
            base, kk = name.rsplit("@k=", 1)
            swept[base][int(kk)] = s.mean
    lines = []
    for base, accs in swept.items():
        main = base.removesuffix("-k")
        if main in by_name and k not in accs:
            accs[k] = by_name[main].mean
        cells = ", ".join(f"k={kk}: {_pct(a)}" for kk, a in sorted(accs.items()))
        lines.append(f"Student k-sweep ({base}, test accuracy %): {cells}")
    overlap = data.analysis.k_sweep if data.analysis.gold_in_input != 0 else {}
    for method, points in overlap.items():
        cells = ", ".join(f"k={kk}: {_pct(v)}" for kk, v in points.items())
        lines.append(f"Gold-answer overlap against k ({method}, %): {cells}")
    return lines


def stage_times(data: ReportData) -> str:
    """Wall time per stage (attribution per method), and the total."""
    totals: dict[str, float] = defaultdict(float)
    for label, seconds in data.stage_seconds.items():
        stage = label.split("/", 1)[0]
        key = label if stage == "attribute" else stage
        totals[key] += seconds
    parts = [f"{name} {_seconds(s)}" for name, s in totals.items()]
    line = f"Wall time per stage (first run): {', '.join(parts)}; total {_seconds(sum(totals.values()))}"
    split = training_split(data.stage_profiles)
    return f"{line}. {split}" if split else line


def task_section(data: ReportData, command: str, k: int) -> str:
    """One task's Markdown section: title, task, the command that ran it, every table at
    the selection's ``k``, and the stage times."""
    lines = [f"### {data.title}", "", f"Task: {data.task}.", ""]
    lines += [f"Note: {n}" for n in data.task_notes]
    lines += ["```bash", command, "```", ""]
    lines += student_table(data)
    lines += ["", *overlap_table(data, k), ""]
    lines += [*faithfulness_table(data), "", *aopc_table(data), "", *agreement_lines(data), ""]
    lines += [*k_sweep_lines(data, k), "", stage_times(data), ""]
    return "\n".join(lines)
