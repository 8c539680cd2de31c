"""What every preflight check shares: the splits the stages use, and how a warning reads."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

SPLITS = ("train", "valid", "test")


def warn(console: Console, message: str) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(message)}")
