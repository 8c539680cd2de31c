"""Where a run's time went: each stage's wall time and, for the stages that train (the
teacher, the students), the split of their training runs' time (``training/profile.py``).
The report's HTML table, its Markdown line and ``tokendistill profile`` read these rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from tokendistill.training.profile import PROFILE

# The profile's parts, in the columns' order, with their names (long: the report's; short:
# the terminal's).
PARTS = {
    "forward_backward": ("forward + backward", "fwd+bwd"),
    "evaluate": ("evaluation", "eval"),
    "checkpoint": ("checkpoints", "ckpt"),
    "collate": ("collation", "collate"),
    "test_predict": ("test prediction", "test"),
    "save_model": ("final save", "save"),
    "other": ("other", "other"),
}


def header(short: bool = False) -> list[str]:
    """The columns of ``stage_rows``: parts and padding as % of the training stage's."""
    parts = [f"{names[short]} %" for names in PARTS.values()]
    return ["stage", "s" if short else "seconds", *parts, "pad %" if short else "padding %", "tok/s"]


def read_profiles(folders: Iterable[tuple[str, Path]]) -> dict[str, dict]:
    """The training profile of each ``(label, artifact folder)`` that has one."""
    out = {}
    for label, folder in folders:
        path = folder / PROFILE
        if path.is_file():
            out[label] = json.loads(path.read_text())
    return out


def stage_rows(seconds: Mapping[str, float], profiles: Mapping[str, dict]) -> list[list[str]]:
    """One row per stage: its wall seconds, and for a training stage each part's share of
    its training time, the padding share of the tokens it computed and its tokens per second
    (blank cells for other stages)."""
    rows = []
    for label, wall in seconds.items():
        profile = profiles.get(label)
        cells = [""] * (len(PARTS) + 2)
        if profile:
            total = profile["total_seconds"] or 1.0
            cells = [f"{100 * profile['seconds'].get(part, 0.0) / total:.1f}" for part in PARTS]
            cells += [f"{100 * profile['padding_share']:.1f}", f"{profile['tokens_per_second']:,.0f}"]
        rows.append([label, f"{wall:.1f}", *cells])
    return rows


def training_split(profiles: Mapping[str, dict]) -> str | None:
    """One sentence over all training stages together: each part's share of their time, and
    padding's share of the tokens they computed (None when no stage trained)."""
    if not profiles:
        return None
    total = sum(p["total_seconds"] for p in profiles.values()) or 1.0
    shares = ", ".join(
        f"{names[0]} {_pct(sum(p['seconds'].get(part, 0.0) for p in profiles.values()) / total)}"
        for part, names in PARTS.items()
    )
    computed = sum(p["computed_tokens"] for p in profiles.values())
    real = sum(p["real_tokens"] for p in profiles.values())
    padding = _pct(1 - real / computed) if computed else "n/a"
    runs = f"{len(profiles)} runs, {total:,.0f} s"
    return f"Training time ({runs}): {shares}; padding {padding} of computed tokens"


def _pct(share: float) -> str:
    return f"{100 * share:.1f} %"
