"""The `tokendistill` command: thin wrappers over the pipeline and stage functions."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Distil a teacher's token attributions into a small student.",
    pretty_exceptions_enable=False,
)
console = Console()
# Errors go to stderr, unwrapped: one message stays one line however narrow the terminal.
err_console = Console(stderr=True, soft_wrap=True)

ConfigArg = Annotated[Path, typer.Argument(help="YAML config file", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config key, e.g. --set selection.k=7 (repeatable)"),
]


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def _load(config_path: Path, overrides: list[str] | None):
    from tokendistill.config import Config
    from tokendistill.config_io import ConfigError, load_yaml_config

    try:
        return load_yaml_config(config_path, Config, overrides or [])
    except ConfigError as err:
        _fail(str(err))


def _run(config_path: Path, overrides: list[str] | None, until: str) -> None:
    from tokendistill.config_io import ConfigError
    from tokendistill.models.errors import ModelSpecError
    from tokendistill.pipeline import run_pipeline
    from tokendistill.tasks import DataError

    config = _load(config_path, overrides)
    _quiet_libraries()
    try:
        result = run_pipeline(config, until=until, console=console)
    except (ConfigError, DataError, ModelSpecError) as err:
        _fail(str(err))
    done = f"{len(result.computed)} stage(s) computed, {len(result.skipped)} cached"
    console.print(f"[bold green]done[/bold green]: {done}; run directory {result.run_dir}")
    if result.report_path:
        console.print(f"report: {result.report_path}")


def _quiet_libraries() -> None:
    """The pipeline reports its own progress; library progress bars and info logs are noise."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


@app.command()
def run(config: ConfigArg, set_: SetOpt = None) -> None:
    """Run the whole pipeline: prepare → teacher → attribute → students → analyze → report."""
    _run(config, set_, "report")


@app.command()
def validate(config: ConfigArg, set_: SetOpt = None) -> None:
    """Check a config without running anything."""
    cfg = _load(config, set_)
    students = ", ".join(s.name for s in cfg.expanded_students())
    console.print(
        f"[green]valid[/green]: task {cfg.task.name}, teacher {cfg.teacher.model.name}, "
        f"students {escape(f'[{students}]')} × seeds {cfg.seeds}"
    )


def _stage_command(stage: str, doc: str) -> None:
    def command(config: ConfigArg, set_: SetOpt = None) -> None:
        _run(config, set_, stage)

    command.__doc__ = doc
    app.command(name=stage)(command)


_stage_command("prepare", "Load and format the task's splits.")
_stage_command("teacher", "Prepare, then fine-tune (or evaluate) the teacher.")
_stage_command("attribute", "Up to attribution: score every training token with each method.")
_stage_command("students", "Up to the students: train and evaluate every student and seed.")


@app.command()
def demo(
    run_dir: Annotated[Path, typer.Option(help="where the demo writes its artifacts")] = Path("runs/demo"),
) -> None:
    """The built-in demo: synthetic task, tiny models, the whole pipeline, an HTML report."""
    text = resources.files("tokendistill").joinpath("demo.yaml").read_text(encoding="utf-8")
    path = run_dir / "demo.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _run(path, [f"run_dir={run_dir}"], "report")


@app.command("tasks")
def list_tasks_command() -> None:
    """List the registered tasks."""
    from tokendistill.tasks import list_tasks

    for name in list_tasks():
        console.print(name)


@app.command("methods")
def list_methods_command() -> None:
    """List the attribution methods."""
    from tokendistill.attribution import list_methods

    for name in list_methods():
        console.print(name)


@app.command("show-task")
def show_task(
    name: Annotated[str, typer.Argument(help="a registered task name")],
    data_dir: Annotated[Path | None, typer.Option(help="folder with the task's files")] = None,
) -> None:
    """Load a task and print its split sizes, notes and one formatted example."""
    from tokendistill.tasks import DataError, TaskConfig, load_task

    try:
        _, data = load_task(TaskConfig(name=name, data_dir=data_dir))
    except (DataError, ValueError) as err:
        _fail(str(err))
    console.print(data.summary())
    if data.train:
        ex = data.train[0]
        console.print(f"\n[bold]example {ex.id}[/bold] → label {ex.label!r}\n{ex.text}")


@app.command("analyze")
def analyze(
    attributions: Annotated[Path, typer.Argument(help="an attributions.parquet artifact")],
    k: Annotated[int, typer.Option(help="rationale size")] = 5,
    unit: Annotated[str, typer.Option(help="token or word")] = "word",
    out: Annotated[Path | None, typer.Option(help="write the table as JSON here")] = None,
) -> None:
    """Rationale analyses of one attribution artifact: gold overlap per k (teacher right/wrong)."""
    from tokendistill.attribution.store import read_attributions
    from tokendistill.rationales.analysis import k_sweep
    from tokendistill.rationales.analysis.table import write_table_json
    from tokendistill.rationales.select import Selection

    records, meta = read_attributions(attributions)
    rows = [r.as_dict() for r in k_sweep(records, range(1, max(k, 10) + 1), Selection(unit=unit))]
    table = Table(title=f"gold-answer overlap — {meta.get('method', '?')} ({len(records)} examples)")
    for col in ("k", "overlap", "overlap_right", "overlap_wrong", "n", "n_nonfinite"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            *[_cell(row[c]) for c in ("k", "overlap", "overlap_right", "overlap_wrong", "n", "n_nonfinite")]
        )
    console.print(table)
    if out:
        write_table_json(out, rows, meta)
        console.print(f"written: {out}")


def _cell(value) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


if __name__ == "__main__":
    app()
