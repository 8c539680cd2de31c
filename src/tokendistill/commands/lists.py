"""What the registries hold: tasks, attribution methods, student modes, rationale sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from tokendistill.commands.terminal import console, fail


def tasks_command() -> None:
    """List the registered tasks."""
    from tokendistill.tasks import get_task, list_tasks

    _show(list_tasks(), get_task)


def methods_command() -> None:
    """List the attribution methods (token scorers), each with one line on what it computes."""
    from tokendistill.attribution import list_methods, method_class

    _show(list_methods(), method_class)


def modes_command() -> None:
    """List the student modes."""
    from tokendistill.training.modes import get_mode, list_modes

    _show(list_modes(), get_mode)


def sources_command() -> None:
    """List the rationale sources, each with one line on what its rationales are."""
    from tokendistill.rationales.sources import get_source, list_sources

    _show(list_sources(), get_source)


def _show(names: list[str], entry: Callable[[str], object]) -> None:
    """One line per registered name (registration order), then the entry's ``summary`` where
    it has one."""
    width = max(map(len, names), default=0)
    for name in names:
        summary = getattr(entry(name), "summary", "")
        line = f"{name:<{width}}  {summary}" if summary else name
        console.print(line, markup=False, highlight=False, soft_wrap=True)


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
