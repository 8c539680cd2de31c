"""``init``: a starter config for a built-in task or for your own data file."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tokendistill.commands.terminal import console
from tokendistill.starter.build import StarterModels

if TYPE_CHECKING:
    from tokendistill.starter import DataProfile, TaskProposal

_DEFAULTS = StarterModels()


def init_command(
    task: Annotated[str | None, typer.Option(help="a built-in task (see tokendistill tasks)")] = None,
    data: Annotated[Path | None, typer.Option(help="your data file: JSON Lines, CSV or Parquet")] = None,
    out: Annotated[Path, typer.Option(help="the config file to write")] = Path("tokendistill.yaml"),
    label_field: Annotated[str | None, typer.Option(help="the column holding the answer")] = None,
    input_fields: Annotated[
        str | None, typer.Option(help="comma-separated columns that make the input (default: the others)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="your task's name (default: from the file name)")] = None,
    teacher: Annotated[
        str, typer.Option(help="the teacher model: hub name, folder or packaged")
    ] = _DEFAULTS.teacher,
    student: Annotated[str, typer.Option(help="the students' model")] = _DEFAULTS.student,
    run_dir: Annotated[Path | None, typer.Option(help="where runs write (default: runs/<task>)")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="ask nothing: take every proposal")] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out if it exists")] = False,
) -> None:
    """Write a starter config for a built-in task or for your own data file. For a data file it
    lists the columns and proposes the input template, label field, metric and split; it asks
    only what it cannot infer, and nothing with --yes or without a terminal."""
    from tokendistill.config import Config
    from tokendistill.config_io import validate_config
    from tokendistill.errors import StarterError
    from tokendistill.runtime.files import atomic_write_text
    from tokendistill.starter import render, starter_config

    if (task is None) == (data is None):
        raise StarterError("give --task NAME (a built-in task) or --data FILE (your data), one of them")
    if out.exists() and not force:
        raise StarterError(f"{out}: already exists; give --force to overwrite it")
    fields = [f.strip() for f in input_fields.split(",") if f.strip()] if input_fields else None
    if data is not None:
        section, eval_mode, k, header = _data_task(data, name, label_field, fields, ask=not yes)
    else:
        section, eval_mode, k, header = _builtin_task(str(task))
    config = starter_config(
        section,
        eval_mode=eval_mode,
        k=k,
        models=StarterModels(teacher, student),
        run_dir=run_dir or Path("runs") / section["name"],
    )
    validate_config(config, Config, source=str(out))  # what is written loads
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, render(config, [*header, "", *_next_steps(out)]))
    console.print(
        f"written: {out}; check it with: tokendistill validate {out}", markup=False, highlight=False
    )


def _builtin_task(task: str) -> tuple[dict[str, Any], str, int, list[str]]:
    from tokendistill.rationales.config import SelectionConfig
    from tokendistill.starter import builtin_task

    section, eval_mode = builtin_task(task)
    return section, eval_mode, SelectionConfig().k, [f"Written by `tokendistill init --task {task}`."]


def _data_task(
    data: Path, name: str | None, label_field: str | None, inputs: list[str] | None, ask: bool
) -> tuple[dict[str, Any], str, int, list[str]]:
    from tokendistill.starter import profile_file, propose_task

    profile = profile_file(data)
    columns = ", ".join(profile.columns)
    _say(f"{data}: {len(profile.rows):,} rows; columns: {columns}")
    proposal = propose_task(profile, _label_field(profile, label_field, ask), inputs)
    for note in proposal.notes:
        _say(f"  {note}")
    section = {"name": name or _task_name(data), "data_dir": str(data.parent), "custom": proposal.custom}
    header = [f"Written by `tokendistill init --data {data}` (columns: {columns}):", *_quoted(proposal)]
    return section, proposal.eval_mode, proposal.k, header


def _label_field(profile: DataProfile, given: str | None, ask: bool) -> str:
    """The label column: given, named so, chosen at a prompt, or (asking nothing) the last column."""
    from tokendistill.starter.propose import guess_label_field

    found = given or guess_label_field(profile.columns)
    if found:
        return found
    last = profile.columns[-1]
    if ask and sys.stdin.isatty():
        return str(
            typer.prompt(f"Which column holds the label? ({', '.join(profile.columns)})", default=last)
        )
    _say(f"  no column is named like a label: taking the last one, {last!r} (--label-field to choose)")
    return last


def _task_name(data: Path) -> str:
    """A task name from the file name: plain characters, not a built-in task's name."""
    from tokendistill.tasks import list_tasks

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", data.stem).strip("-._") or "my-task"
    return f"{stem}-data" if stem in list_tasks() else stem[:64]


def _quoted(proposal: TaskProposal) -> list[str]:
    return [f"  {note}" for note in proposal.notes]


def _next_steps(out: Path) -> list[str]:
    return [
        f"Check it: tokendistill validate {out}; run it: tokendistill run {out}",
        "Paths are relative to the folder you run tokendistill from. Every key, its default and",
        "meaning: tokendistill schema (docs/config.md in the tokendistill repository).",
    ]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)
