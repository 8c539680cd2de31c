"""The faithfulness and AOPC rows: each figure on the analysis' scale with its 95 % interval,
its random baseline's, the interval of their per-example difference, and the raw figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tokendistill.rationales.analysis.rows import Row

__all__ = ["FIGURES", "AopcRow", "ErasureScores", "FaithfulnessRow", "Interval"]

Interval = tuple[float, float]
FIGURES = ("comprehensiveness", "sufficiency")


@dataclass(frozen=True, kw_only=True)
class ErasureScores:
    """Comprehensiveness and sufficiency with their random baselines (keyword fields, after
    a row's own): what the faithfulness and AOPC rows share. On the analysis' scale
    (``AnalysisResult.faithfulness_scale``), each with its 95 % interval over examples, the
    interval of the paired difference from the random baseline (``*_vs_random_ci``), and the
    same figures on the raw scale (``*_raw``), a secondary column."""

    comprehensiveness: float | None
    comprehensiveness_random: float | None
    sufficiency: float | None
    sufficiency_random: float | None
    comprehensiveness_ci: Interval | None = None
    comprehensiveness_random_ci: Interval | None = None
    comprehensiveness_vs_random_ci: Interval | None = None
    sufficiency_ci: Interval | None = None
    sufficiency_random_ci: Interval | None = None
    sufficiency_vs_random_ci: Interval | None = None
    comprehensiveness_raw: float | None = None
    comprehensiveness_raw_random: float | None = None
    sufficiency_raw: float | None = None
    sufficiency_raw_random: float | None = None

    def __post_init__(self) -> None:
        for figure in FIGURES:  # JSON gives intervals back as lists
            for name in (f"{figure}_ci", f"{figure}_random_ci", f"{figure}_vs_random_ci"):
                value = getattr(self, name)
                if value is not None:
                    object.__setattr__(self, name, (value[0], value[1]))

    def versus_random(self, figure: str) -> int | None:
        """+1 (−1) when ``figure`` is above (below) its random baseline beyond the 95 %
        interval of their per-example difference, 0 when the interval holds 0, None without it."""
        interval = getattr(self, f"{figure}_vs_random_ci")
        if interval is None or None in interval:
            return None
        return 1 if interval[0] > 0 else -1 if interval[1] < 0 else 0

    @staticmethod
    def columns_with(random: str) -> tuple[tuple[str, str], ...]:
        """The columns, the baselines headed ``comp. <random>`` and ``suff. <random>``."""
        out: list[tuple[str, str]] = []
        for figure, short in zip(FIGURES, ("comp.", "suff."), strict=True):
            out += [
                (figure, figure),
                (f"{short} 95% interval", f"{figure}_ci"),
                (f"{short} {random}", f"{figure}_random"),
                (f"{short} {random} 95% interval", f"{figure}_random_ci"),
                (f"{short} minus {random} 95% interval", f"{figure}_vs_random_ci"),
            ]
        for figure, short in zip(FIGURES, ("comp.", "suff."), strict=True):
            out += [(f"raw {short}", f"{figure}_raw"), (f"raw {short} {random}", f"{figure}_raw_random")]
        return tuple(out)


@dataclass(frozen=True)
class FaithfulnessRow(ErasureScores, Row):
    """Comprehensiveness and sufficiency of one method's top-k on the teacher, with the
    random-k baselines."""

    method: str
    k: int
    examples: int

    COLUMNS: ClassVar = (
        ("method", "method"),
        ("k", "k"),
        ("examples", "examples"),
        *ErasureScores.columns_with("random-k"),
    )


@dataclass(frozen=True)
class AopcRow(ErasureScores, Row):
    """AOPC comprehensiveness and sufficiency of one method (``bin`` "AOPC": the mean over
    bins), or their value at one bin ("5 %"), with the random-unit baselines."""

    method: str
    bin: str
    examples: int

    COLUMNS: ClassVar = (
        ("method", "method"),
        ("bin", "bin"),
        ("examples", "examples"),
        *ErasureScores.columns_with("random"),
    )
