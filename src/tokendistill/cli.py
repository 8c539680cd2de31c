"""The `tokendistill` command: one typer app, its commands registered from ``commands/``."""

from __future__ import annotations

import typer

from tokendistill.commands import analyze, deploy, lists, pipeline, sweep

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Distil a teacher's token attributions into a small student.",
    pretty_exceptions_enable=False,
)

app.command("run")(pipeline.run_command)
app.command("validate")(pipeline.validate_command)
for _stage, _doc in pipeline.STAGE_COMMANDS:
    app.command(_stage)(pipeline.stage_command(_stage, _doc))
app.command("demo")(pipeline.demo_command)
app.command("sweep")(sweep.sweep_command)
app.command("analyze")(analyze.analyze_command)
# What the registries hold.
app.command("tasks")(lists.tasks_command)
app.command("methods")(lists.methods_command)
app.command("modes")(lists.modes_command)
app.command("sources")(lists.sources_command)
app.command("show-task")(lists.show_task_command)
# Using a distilled model.
app.command("export")(deploy.export_command)
app.command("predict")(deploy.predict_command)
app.command("explain")(deploy.explain_command)


if __name__ == "__main__":
    app()
