"""The `tokendistill` command: one typer app, its commands registered from ``commands/``.

Every command is ``guarded`` (``commands/failures.py``): a failure is one line, never a
traceback (an unexpected one also names a log file holding its traceback). Its help is its
docstring, one line per paragraph (``commands/help.py``), followed by one example.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from tokendistill import __version__
from tokendistill.commands import analyze, deploy, init, lists, pipeline, profile, reference, sweep
from tokendistill.commands.failures import guarded
from tokendistill.commands.help import example_epilog, help_text

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Distil a teacher's token attributions into a small student.",
    epilog=example_epilog("tokendistill demo"),
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tokendistill {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


def _add(name: str, command: Callable[..., Any], example: str) -> None:
    app.command(name, help=help_text(command), epilog=example_epilog(example))(guarded(command))


_add("init", init.init_command, "tokendistill init --data data/reviews.csv --out reviews.yaml")
_add("run", pipeline.run_command, "tokendistill run configs/offline/esnli.yaml --set seeds=[0,1,2]")
_add("validate", pipeline.validate_command, "tokendistill validate configs/offline/esnli.yaml")
for _stage, _doc in pipeline.STAGE_COMMANDS:
    _add(
        _stage,
        pipeline.stage_command(_stage, _doc),
        f"tokendistill {_stage} configs/offline/esnli.yaml --threads 1",
    )
_add("demo", pipeline.demo_command, "tokendistill demo --run-dir runs/demo")
_add("sweep", sweep.sweep_command, "tokendistill sweep configs/testbed/sweep.yaml --jobs 2")
_add(
    "analyze",
    analyze.analyze_command,
    "tokendistill analyze runs/x/attribute/saliency-train-KEY/attributions.parquet --config my.yaml --k 3",
)
_add("profile", profile.profile_command, "tokendistill profile runs/demo")
_add("schema", reference.schema_command, "tokendistill schema > config.schema.json")
# What the registries hold.
_add("tasks", lists.tasks_command, "tokendistill tasks")
_add("methods", lists.methods_command, "tokendistill methods")
_add("modes", lists.modes_command, "tokendistill modes")
_add("sources", lists.sources_command, "tokendistill sources")
_add("show-task", lists.show_task_command, "tokendistill show-task cqa --data-dir data")
# Using a distilled model.
_add(
    "export",
    deploy.export_command,
    "tokendistill export runs/demo --student ours-saliency --to models/ours-saliency",
)
_add("predict", deploy.predict_command, "tokendistill predict models/ours-saliency --input rows.jsonl")
_add(
    "explain",
    deploy.explain_command,
    "tokendistill explain models/ours-saliency --input rows.jsonl --method saliency --out explanations",
)


if __name__ == "__main__":
    app()
