"""The `tokendistill` command: one typer app, its commands registered from ``commands/``.

Every command is ``guarded`` (``commands/failures.py``): a failure is one line, never a
traceback (an unexpected one also names a log file holding its traceback).
"""

from __future__ import annotations

import typer

from tokendistill.commands import analyze, deploy, lists, pipeline, sweep
from tokendistill.commands.failures import guarded

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Distil a teacher's token attributions into a small student.",
    pretty_exceptions_enable=False,
)

app.command("run")(guarded(pipeline.run_command))
app.command("validate")(guarded(pipeline.validate_command))
for _stage, _doc in pipeline.STAGE_COMMANDS:
    app.command(_stage)(guarded(pipeline.stage_command(_stage, _doc)))
app.command("demo")(guarded(pipeline.demo_command))
app.command("sweep")(guarded(sweep.sweep_command))
app.command("analyze")(guarded(analyze.analyze_command))
# What the registries hold.
app.command("tasks")(guarded(lists.tasks_command))
app.command("methods")(guarded(lists.methods_command))
app.command("modes")(guarded(lists.modes_command))
app.command("sources")(guarded(lists.sources_command))
app.command("show-task")(guarded(lists.show_task_command))
# Using a distilled model.
app.command("export")(guarded(deploy.export_command))
app.command("predict")(guarded(deploy.predict_command))
app.command("explain")(guarded(deploy.explain_command))


if __name__ == "__main__":
    app()
