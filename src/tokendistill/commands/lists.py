"""What the registries hold: tasks, attribution methods, student modes, rationale sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tokendistill.commands.terminal import console, fail


def tasks_command() -> None:
    """List the registered tasks."""
    from tokendistill.tasks import list_tasks

    for name in list_tasks():
        console.print(name)


def methods_command() -> None:
    """List the attribution methods."""
    from tokendistill.attribution import list_methods

    for name in list_methods():
        console.print(name)


def modes_command() -> None:
    """List the student modes."""
    from tokendistill.training.modes import list_modes

    for name in list_modes():
        console.print(name)


def sources_command() -> None:
    """List the rationale sources."""
    from tokendistill.rationales.sources import list_sources

    for name in list_sources():
        console.print(name)


def show_task_command(
    name: Annotated[str, typer.Argument(help="a registered task name")],
    data_dir: Annotated[Path | None, typer.Option(help="folder with the task's files")] = None,
) -> None:
    """Load a task and print its split sizes, notes and one formatted example."""
    from tokendistill.tasks import DataError, TaskConfig, load_task

    try:
        _, data = load_task(TaskConfig(name=name, data_dir=data_dir))
    except (DataError, ValueError) as err:
        fail(str(err))
    console.print(data.summary())
    if data.train:
        ex = data.train[0]
        console.print(f"\n[bold]example {ex.id}[/bold] → label {ex.label!r}\n{ex.text}")
