"""The `tokendistill` command: thin wrappers over the pipeline and stage functions.

Every command reports failures through ``cli_errors``: one line, never a traceback.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tokendistill.cli_errors import fail, guarded, loaded

if TYPE_CHECKING:
    from tokendistill.attribution.result import TokenAttribution
    from tokendistill.rationales.analysis.config import AnalysisConfig
    from tokendistill.rationales.analysis.result import AnalysisResult
    from tokendistill.rationales.config import SelectionConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Distil a teacher's token attributions into a small student.",
    pretty_exceptions_enable=False,
)
console = Console()

ConfigArg = Annotated[Path, typer.Argument(help="YAML config file", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config key, e.g. --set selection.k=7 (repeatable)"),
]


def _load(config_path: Path, overrides: list[str] | None):
    """The validated config, registered for error reports (``cli_errors.loaded``)."""
    from tokendistill.config import Config
    from tokendistill.config_io import load_config

    config, source = load_config(config_path, Config, overrides or [])
    loaded(source, Path(config.run_dir))
    return config


def _run(config_path: Path, overrides: list[str] | None, until: str) -> None:
    from tokendistill.pipeline import run_pipeline

    config = _load(config_path, overrides)
    _quiet_libraries()
    result = run_pipeline(config, until=until, console=console)
    done = f"{len(result.computed)} stage(s) computed, {len(result.skipped)} cached"
    if result.repaired:
        done += f", {len(result.repaired)} recomputed because their files were damaged"
    console.print(f"[bold green]done[/bold green]: {done}; run directory {result.run_dir}")
    if result.report_path:
        console.print(f"report: {result.report_path}")


def _quiet_libraries() -> None:
    """The pipeline reports its own progress; library progress bars and info logs are noise."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


@app.command()
@guarded
def run(config: ConfigArg, set_: SetOpt = None) -> None:
    """Run the whole pipeline: prepare → teacher → attribute → students → analyze → report."""
    _run(config, set_, "report")


@app.command()
@guarded
def validate(config: ConfigArg, set_: SetOpt = None) -> None:
    """Check a config and everything it points at (run directory, data files, models'
    tokenizers, input lengths) without training or attributing anything."""
    from tokendistill.preflight import preflight

    cfg = _load(config, set_)
    _quiet_libraries()
    preflight(cfg, console)
    students = ", ".join(s.name for s in cfg.expanded_students())
    console.print(
        f"[green]valid[/green]: task {cfg.task.name}, teacher {cfg.teacher.model.name}, "
        f"students {escape(f'[{students}]')} × seeds {cfg.seeds}"
    )


def _stage_command(stage: str, doc: str) -> None:
    def command(config: ConfigArg, set_: SetOpt = None) -> None:
        _run(config, set_, stage)

    command.__doc__ = doc
    app.command(name=stage)(guarded(command))


_stage_command("prepare", "Load and format the task's splits.")
_stage_command("teacher", "Prepare, then fine-tune (or evaluate) the teacher.")
_stage_command("attribute", "Up to attribution: score every training token with each method.")
_stage_command("students", "Up to the students: train and evaluate every student and seed.")


@app.command()
@guarded
def demo(
    run_dir: Annotated[Path, typer.Option(help="where the demo writes its artifacts")] = Path("runs/demo"),
) -> None:
    """The built-in demo: synthetic task, tiny models, the whole pipeline, an HTML report."""
    text = resources.files("tokendistill").joinpath("demo.yaml").read_text(encoding="utf-8")
    path = run_dir / "demo.yaml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        fail(f"--run-dir {run_dir}: cannot write the demo's config there ({err.strerror})")
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


@app.command("modes")
def list_modes_command() -> None:
    """List the student modes."""
    from tokendistill.training.modes import list_modes

    for name in list_modes():
        console.print(name)


@app.command("sources")
def list_sources_command() -> None:
    """List the rationale sources."""
    from tokendistill.rationales.sources import list_sources

    for name in list_sources():
        console.print(name)


@app.command("show-task")
@guarded
def show_task(
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


@app.command("analyze")
@guarded
def analyze(
    attributions: Annotated[
        Path, typer.Argument(help="an attributions.parquet artifact", show_default=False)
    ],
    k: Annotated[
        int | None,
        typer.Option(min=1, help="rationale size (default: the selection.k of --config, or the default one)"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="the run's config: its selection, analysis and task (evidence) settings"),
    ] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write the analysis as JSON here")] = None,
) -> None:
    """Rationale analyses of one attribution artifact, as the pipeline computes them: gold
    overlap and planted-evidence hits at k, and both over the config's k-sweep."""
    from tokendistill.artifacts import atomic_write_json
    from tokendistill.rationales.analysis.summary import analyze_records
    from tokendistill.rationales.select import Selection

    records, meta = _read_artifact(attributions)
    selection, analysis, evidence = _analysis_settings(config, set_)
    if k is not None:
        selection = _with_k(selection, k)
    k = selection.k
    method = str(meta.get("method") or attributions.stem)
    result = analyze_records(
        {method: records}, Selection(selection), k, analysis.k_sweep, evidence, analysis.seed
    )
    console.print(f"{method}: {len(records)} examples, top-{k} {selection.unit}s")
    _print_analysis(result)
    if out:
        atomic_write_json(out, result.to_json(), sort_keys=False)
        console.print(f"written: {out}")


def _read_artifact(path: Path) -> tuple[list[TokenAttribution], dict[str, Any]]:
    """Records and metadata of an attribution artifact; a one-line error for anything else."""
    from tokendistill.attribution.store import read_attributions

    if not path.is_file():
        fail(f"{path}: file not found")
    try:
        return read_attributions(path)
    except (OSError, ValueError, KeyError, TypeError) as err:  # pyarrow's errors derive from these
        fail(f"{path}: not an attribution Parquet file: {' '.join(str(err).split())}")


def _with_k(selection: SelectionConfig, k: int) -> SelectionConfig:
    """``selection`` with ``--k``, checked against the same bounds as ``selection.k``."""
    from pydantic import ValidationError

    try:
        return type(selection).model_validate({**selection.model_dump(), "k": k})
    except ValidationError as err:
        fail(f"--k {k}: {err.errors()[0]['msg']}")


def _analysis_settings(
    config_path: Path | None, overrides: list[str] | None
) -> tuple[SelectionConfig, AnalysisConfig, dict[str, list[tuple[int, int]]]]:
    """Selection and analysis settings and evidence spans: the config's (its task's planted
    evidence) with ``--config``, the defaults (no evidence) without."""
    from tokendistill.rationales.analysis.config import AnalysisConfig
    from tokendistill.rationales.analysis.evidence import evidence_spans
    from tokendistill.rationales.config import SelectionConfig
    from tokendistill.tasks import DataError, load_task

    if config_path is None:
        if overrides:
            fail("--set overrides keys of a config: give it with --config")
        return SelectionConfig(), AnalysisConfig(), {}
    cfg = _load(config_path, overrides)
    try:
        _, data = load_task(cfg.task)
    except (DataError, ValueError) as err:
        fail(str(err))
    return cfg.selection, cfg.analysis, evidence_spans(data.train)


def _print_analysis(result: AnalysisResult) -> None:
    """The overlap row and the evidence row at k (as column: value), then the k-sweep."""
    console.print(f"gold answer in the input: {_cell(result.gold_in_input)}")
    for title, rows in (("gold-answer overlap", result.overlap), ("planted evidence", result.evidence)):
        for row in rows:
            table = Table(title=f"{title} at k={row.k}")
            table.add_column("column")
            table.add_column("value", justify="right")
            for header, value in zip(row.headers(), row.values(), strict=True):
                table.add_row(header, _cell(value))
            console.print(table)
    (method,) = result.k_sweep
    columns = {"gold overlap": result.k_sweep[method]}
    if result.evidence_sweep:
        columns.update(
            {"top-k hit rate": result.evidence_sweep[method], "random-k hit rate": result.evidence_chance}
        )
    table = Table(title="against k")
    for name in ("k", *columns):
        table.add_column(name, justify="right")
    for kk in result.k_sweep[method]:
        table.add_row(str(kk), *[_cell(points.get(kk)) for points in columns.values()])
    console.print(table)


def _cell(value: object) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


if __name__ == "__main__":
    app()
