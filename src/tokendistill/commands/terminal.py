"""What every command shares: the console, option types, quiet libraries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tokendistill.commands.failures import fail

console = Console()

ConfigArg = Annotated[Path, typer.Argument(help="YAML config file", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config key, e.g. --set selection.k=7 (repeatable)"),
]

ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="torch CPU threads (default: torch's choice); 1 is fastest for tiny models and when "
        "other jobs share the CPU",
    ),
]


def quiet_libraries() -> None:
    """Our commands report their own progress; library progress bars and info logs are noise."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


__all__ = ["ConfigArg", "SetOpt", "ThreadsOpt", "console", "fail", "quiet_libraries"]
