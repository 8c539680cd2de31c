"""Faithfulness and AOPC in words: the scale the figures are on, each figure with its 95 %
interval, and whether each method differs from its random control (the interval of the
per-example difference, method minus random, excludes 0) or not."""

from __future__ import annotations

from tokendistill.rationales.analysis.result import AnalysisResult, AopcRow, ErasureScores, FaithfulnessRow
from tokendistill.rationales.analysis.scale import DEFINITIONS, INTERVAL, RAW
from tokendistill.stats import wilson_interval

__all__ = ["cell", "erasure_verdicts", "interval_text", "row_cells", "scale_sentence", "teacher_at_chance"]

# What each figure's verdict says, by the sign of (method − random): higher comprehensiveness
# and lower sufficiency are the faithful directions.
_RANDOM = "as many random words"
_READING = {
    ("comprehensiveness", 1): "removing {what} lowers the teacher's answer more than removing " + _RANDOM,
    ("comprehensiveness", -1): "removing {what} lowers the teacher's answer less than removing " + _RANDOM,
    ("sufficiency", -1): "{what} alone keep the teacher's answer better than " + _RANDOM,
    ("sufficiency", 1): "{what} alone keep the teacher's answer worse than " + _RANDOM,
}


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def interval_text(interval: tuple[float, float] | None) -> str:
    return "–" if interval is None else f"[{_num(interval[0])}, {_num(interval[1])}]"


def cell(value: float | None, interval: tuple[float, float] | None) -> str:
    """A figure with its 95 % interval."""
    return _num(value) if interval is None else f"{_num(value)} {interval_text(interval)}"


def scale_sentence(analysis: AnalysisResult) -> str:
    """Which scale the figures are on, the raw column's and the intervals' definitions."""
    scale = analysis.faithfulness_scale
    what = (
        DEFINITIONS[scale] if scale else "the teacher's probability of its answer (per-token geometric mean)"
    )
    raw = f" Raw columns: {RAW}." if scale else ""
    return f"Figures are differences of {what}.{raw} Intervals: {INTERVAL}."


def _sentence(row: ErasureScores, figure: str, who: str, what: str) -> str:
    side = row.versus_random(figure)
    difference = getattr(row, figure), getattr(row, f"{figure}_random")
    delta = None if None in difference else difference[0] - difference[1]  # type: ignore[operator]
    interval = interval_text(getattr(row, f"{figure}_vs_random_ci"))
    if side is None:
        return f"{who}, {figure}: too few examples for an interval."
    if side == 0:
        return (
            f"{who}, {figure}: no difference from random words this run can show "
            f"({delta or 0:+.3f}; the 95 % interval of the difference, {interval}, holds 0)."
        )
    reading = _READING[(figure, side)].format(what=what)
    return f"{who}, {figure}: {reading} ({delta:+.3f}, 95 % interval of the difference {interval})."


def erasure_verdicts(analysis: AnalysisResult) -> list[str]:
    """One sentence per method and figure at k, then per method and figure over the AOPC bins."""
    out = []
    for row in analysis.faithfulness:
        for figure in ("comprehensiveness", "sufficiency"):
            out.append(_sentence(row, figure, f"{row.method} (top-{row.k})", f"its top-{row.k} words"))
    for aopc in (r for r in analysis.aopc if r.bin == "AOPC"):
        for figure in ("comprehensiveness", "sufficiency"):
            out.append(_sentence(aopc, figure, f"{aopc.method} (AOPC)", "its top-ranked words"))
    return out


def row_cells(row: FaithfulnessRow | AopcRow) -> list[str]:
    """A row's figures with their intervals, then the raw columns."""
    return [
        cell(row.comprehensiveness, row.comprehensiveness_ci),
        cell(row.comprehensiveness_random, row.comprehensiveness_random_ci),
        cell(row.sufficiency, row.sufficiency_ci),
        cell(row.sufficiency_random, row.sufficiency_random_ci),
        _num(row.comprehensiveness_raw),
        _num(row.comprehensiveness_raw_random),
        _num(row.sufficiency_raw),
        _num(row.sufficiency_raw_random),
    ]


def teacher_at_chance(accuracy: float | None, n: int, chance: float | None) -> str | None:
    """The report's warning when the teacher's validation accuracy is at chance: its Wilson
    95 % interval reaches down to the chance level (one over the number of answer choices)."""
    if accuracy is None or chance is None or n <= 0:
        return None
    low, high = wilson_interval(accuracy, n)
    if low > chance:
        return None
    return (
        f"the teacher is at chance on validation ({100 * accuracy:.1f} % of {n}, 95 % interval "
        f"{100 * low:.1f}–{100 * high:.1f} %, chance {100 * chance:.1f} %): its attributions explain "
        "a teacher that has not learnt the task, and the faithfulness figures measure that teacher"
    )
