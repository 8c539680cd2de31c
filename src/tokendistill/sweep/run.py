"""Planning and running a sweep: every cell validated first, then run as a cached pipeline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import ConfigError, load_yaml_config
from tokendistill.pipeline import run_pipeline
from tokendistill.report.data import ReportData
from tokendistill.sweep.config import Cell, SweepConfig, cells


@dataclass(frozen=True)
class PlannedCell:
    cell: Cell
    config: Config


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    report: ReportData


def load_sweep(path: Path, overrides: list[str] | tuple[str, ...] = ()) -> tuple[SweepConfig, Path]:
    """The sweep config at ``path`` and the path of its base run config."""
    sweep = load_yaml_config(path, SweepConfig, overrides)
    base = sweep.base if sweep.base.is_absolute() else Path(path).parent / sweep.base
    return sweep, base


def plan(sweep: SweepConfig, base_path: Path) -> list[PlannedCell]:
    """Every cell's validated run config, before anything runs (a bad value in any cell
    fails here, naming the cell)."""
    base = load_yaml_config(base_path, Config)
    base_values = {key: _lookup(base, key, base_path) for key in sweep.axes}
    planned = []
    for cell in cells(sweep, base_values):
        own = [f"run_dir={sweep.run_dir / cell.folder}", f"seeds={list(sweep.seeds)}", *cell.overrides()]
        try:
            planned.append(PlannedCell(cell, load_yaml_config(base_path, Config, own)))
        except ConfigError as err:
            raise ConfigError(f"sweep cell {cell.label}: {err}") from None
    return planned


def run_sweep(planned: list[PlannedCell], console: Console | None = None) -> list[CellResult]:
    """Run (or read from the cache) every cell; a killed sweep resumes where it stopped."""
    console = console or Console()
    results = []
    for i, item in enumerate(planned, 1):
        console.print(f"[bold]cell {i}/{len(planned)}: {item.cell.label}[/bold]")
        outcome = run_pipeline(item.config, console=console)
        metrics = json.loads((outcome.run_dir / "metrics.json").read_text(encoding="utf-8"))
        results.append(CellResult(item.cell, ReportData.from_json(metrics)))
    return results


def _lookup(config: Config, key: str, source: Path) -> Any:
    """The value at a dotted ``--set`` key of a validated config (defaults included)."""
    node: Any = config
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif hasattr(node, part):
            node = getattr(node, part)
        else:
            raise ConfigError(f"{source}: the sweep axis {key!r} is not a key of this config")
    return node.model_dump(mode="json") if hasattr(node, "model_dump") else node
