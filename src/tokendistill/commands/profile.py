"""``profile``: where a finished run's time went, from its metrics.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tokendistill.commands.terminal import console, fail


def profile_command(
    run_dir: Annotated[Path, typer.Argument(help="a run directory", show_default=False)],
) -> None:
    """Where a run's time went: each stage's wall time and, for the teacher's and the
    students' training, each part's share (forward and backward, evaluation, checkpoints,
    collation, test prediction, the final save, the rest), padding's share of the tokens
    computed, and tokens per second. Stages read from the cache show their first run's figures."""
    from tokendistill.report.timing import header, stage_rows, training_split

    path = run_dir / "metrics.json"
    if not path.is_file():
        fail(f"{path}: not found (is {run_dir} a run directory whose report stage has run?)")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        seconds, profiles = metrics["stage_seconds"], metrics.get("stage_profiles", {})
    except (ValueError, KeyError, TypeError) as err:
        fail(f"{path}: not a run's metrics.json ({err})")
    table = Table(title=f"{run_dir}: where the time went")
    for i, name in enumerate(header(short=True)):
        table.add_column(name, no_wrap=True, justify="left" if i == 0 else "right")
    for row in stage_rows(seconds, profiles):
        table.add_row(*row)
    # Wider than a pipe's default 80 columns, which would cut every figure short.
    Console(width=max(console.width, 150)).print(table)
    split = training_split(profiles)
    if split:
        console.print(split)
