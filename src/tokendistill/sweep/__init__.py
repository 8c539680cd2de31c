"""Sweeps: a base run config, knobs and seeds; every cell a cached, resumable pipeline run,
summarised as a table and plots of test accuracy against each knob."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tokendistill.sweep.config import Cell, SweepConfig, cells
from tokendistill.sweep.render import markdown_table, write_outputs
from tokendistill.sweep.run import CellResult, check_cells, load_sweep, plan, run_sweep


def sweep(
    path: str | Path,
    overrides: list[str] | tuple[str, ...] = (),
    console: Console | None = None,
    jobs: int = 1,
) -> Path:
    """Run the sweep at ``path`` (every cell validated before any runs; ``jobs`` cells at a
    time, each its own process) and write its table and page; returns the page's path.
    Finished cells are read from the cache."""
    config, base = load_sweep(Path(path), overrides)
    planned = plan(config, base)
    check_cells(planned, console or Console(stderr=True))
    results = run_sweep(planned, console, jobs)
    sets = "".join(f" --set '{o}'" for o in overrides)
    return write_outputs(config, results, f"tokendistill sweep {path}{sets}")


__all__ = [
    "Cell",
    "CellResult",
    "SweepConfig",
    "cells",
    "check_cells",
    "load_sweep",
    "markdown_table",
    "plan",
    "run_sweep",
    "sweep",
    "write_outputs",
]
