"""``sweep``: every cell of a sweep, cached like ``run``, and its table and plots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tokendistill.commands.terminal import SetOpt, console, quiet_libraries


def sweep_command(
    config: Annotated[Path, typer.Argument(help="a sweep config (base run config, axes, seeds)")],
    set_: SetOpt = None,
    jobs: Annotated[int, typer.Option(min=1, help="cells run at once, each its own process")] = 1,
) -> None:
    """Run every cell of a sweep (cached like `run`) and write its table and plots."""
    from tokendistill.sweep import sweep

    quiet_libraries()
    page = sweep(config, set_ or [], console, jobs)
    console.print(f"[bold green]done[/bold green]: {page} (table: {page.with_name('SWEEP.md')})")
