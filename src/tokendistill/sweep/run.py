"""Planning and running a sweep: every cell validated first, then run as a cached pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from tokendistill.config import Config, load_config
from tokendistill.config_io import ConfigError, load_yaml_config
from tokendistill.errors import InputError
from tokendistill.pipeline import run_pipeline
from tokendistill.preflight import preflight
from tokendistill.report.data import ReportData
from tokendistill.sweep.config import Cell, SweepConfig, cells


@dataclass(frozen=True)
class PlannedCell:
    cell: Cell
    config: Config
    base_path: Path
    overrides: tuple[str, ...]

    def command(self) -> list[str]:
        """This cell as a ``tokendistill run`` command line."""
        sets = [a for o in self.overrides for a in ("--set", o)]
        return [sys.executable, "-m", "tokendistill.cli", "run", str(self.base_path), *sets]


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
    base = load_config(base_path, sweep.set)
    base_values = {key: _lookup(base, key, base_path) for key in sweep.axes}
    planned = []
    for cell in cells(sweep, base_values):
        own = [
            *sweep.set,
            f"run_dir={sweep.run_dir / cell.folder}",
            f"seeds={list(sweep.seeds)}",
            *cell.overrides(),
        ]
        try:
            planned.append(PlannedCell(cell, load_config(base_path, own), base_path, tuple(own)))
        except ConfigError as err:
            raise ConfigError(f"sweep cell {cell.label}: {err}") from None
    return planned


def check_cells(planned: list[PlannedCell], console: Console) -> None:
    """What ``run`` checks before its first stage (data, models, machine), for every cell
    before any runs: a cell that its run would refuse fails here, naming the cell."""
    for item in planned:
        try:
            preflight(item.config, console)
        except ConfigError as err:
            located = item.config.source.locate(err) if item.config.source else err
            raise ConfigError(f"sweep cell {item.cell.label}: {located}") from None
        except InputError as err:
            raise type(err)(f"sweep cell {item.cell.label}: {err}") from None


def run_sweep(planned: list[PlannedCell], console: Console | None = None, jobs: int = 1) -> list[CellResult]:
    """Run (or read from the cache) every cell; a killed sweep resumes where it stopped.

    ``jobs`` > 1 runs that many cells at once, each a ``tokendistill run`` process with one
    torch thread (small models gain nothing from intra-op threads; separate processes use
    the cores fully), its output in ``<cell run dir>.log``.
    """
    console = console or Console()
    if jobs > 1:
        _run_in_processes(planned, console, jobs)
    for i, item in enumerate(planned, 1):
        if jobs == 1:
            console.print(f"[bold]cell {i}/{len(planned)}: {item.cell.label}[/bold]")
            run_pipeline(item.config, console=console)
    return [CellResult(item.cell, _report_of(item)) for item in planned]


def _run_in_processes(planned: list[PlannedCell], console: Console, jobs: int) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}

    def run(item: PlannedCell) -> tuple[PlannedCell, int]:
        log = Path(f"{item.config.run_dir}.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as out:
            done = subprocess.run(item.command(), stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
        return item, done.returncode

    failed = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for item, code in pool.map(run, planned):
            console.print(f"cell {item.cell.label}: {'done' if code == 0 else f'failed (exit {code})'}")
            if code != 0:
                failed.append(f"{item.cell.label} (see {item.config.run_dir}.log)")
    if failed:
        raise RuntimeError(f"sweep cells failed: {', '.join(failed)}")


def _report_of(item: PlannedCell) -> ReportData:
    metrics = json.loads((Path(item.config.run_dir) / "metrics.json").read_text(encoding="utf-8"))
    return ReportData.from_json(metrics)


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
