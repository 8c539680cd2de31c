"""``run``, ``validate``, one command per stage, and the built-in ``demo``."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tokendistill.commands.failures import loaded
from tokendistill.commands.terminal import (
    ConfigArg,
    SetOpt,
    ThreadsOpt,
    console,
    fail,
    quiet_libraries,
)


def run_until(config_path: Path, overrides: list[str] | None, until: str, threads: int | None = None) -> None:
    from tokendistill.config import load_config
    from tokendistill.distributed import default_state
    from tokendistill.pipeline import run_pipeline

    config = loaded(load_config(config_path, overrides or []))
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    quiet_libraries()
    result = run_pipeline(config, until=until, console=console)
    state = default_state()
    # Under `accelerate launch`, leave the process group before the interpreter exits: left
    # to teardown, a rank's communication threads could abort it after a finished run.
    state.wait_for_everyone()
    state.destroy_process_group()
    if not state.is_main_process:
        return  # the main process reports
    done = f"{len(result.computed)} stage(s) computed, {len(result.skipped)} cached"
    if result.repaired:
        done += f", {len(result.repaired)} recomputed because their files were damaged"
    console.print(f"[bold green]done[/bold green]: {done}; run directory {result.run_dir}")
    if result.report_path:
        console.print(f"report: {result.report_path}")


def run_command(config: ConfigArg, set_: SetOpt = None, threads: ThreadsOpt = None) -> None:
    """Run the whole pipeline: prepare → teacher → attribute → students → analyze → report."""
    run_until(config, set_, "report", threads)


def validate_command(config: ConfigArg, set_: SetOpt = None) -> None:
    """Check a config and everything it points at (run directory, data files, models'
    tokenizers, input lengths) without training or attributing anything."""
    from tokendistill.config import load_config
    from tokendistill.preflight import preflight

    cfg = loaded(load_config(config, set_ or []))
    quiet_libraries()
    preflight(cfg, console)
    students = ", ".join(s.name for s in cfg.expanded_students())
    console.print(
        f"[green]valid[/green]: task {cfg.task.name}, teacher {cfg.teacher.model.name}, "
        f"students {escape(f'[{students}]')} × seeds {cfg.seeds}"
    )


def stage_command(stage: str, doc: str) -> Callable[..., None]:
    """A command that runs the pipeline up to ``stage``."""

    def command(config: ConfigArg, set_: SetOpt = None, threads: ThreadsOpt = None) -> None:
        run_until(config, set_, stage, threads)

    command.__doc__ = doc
    return command


STAGE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("prepare", "Load and format the task's splits."),
    ("teacher", "Prepare, then fine-tune (or evaluate) the teacher."),
    ("attribute", "Up to attribution: score every training token with each method."),
    ("students", "Up to the students: train and evaluate every student and seed."),
)


def demo_command(
    run_dir: Annotated[Path, typer.Option(help="where the demo writes its artifacts")] = Path("runs/demo"),
) -> None:
    """The built-in demo: the controlled testbed's centre point, tiny models, the whole
    pipeline with three seeds, an HTML report that says what it measured."""
    text = resources.files("tokendistill").joinpath("demo.yaml").read_text(encoding="utf-8")
    path = run_dir / "demo.yaml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        fail(f"--run-dir {run_dir}: cannot write the demo's config there ({err.strerror})")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # The demo's models are tiny: a second intra-op thread only adds contention.
    run_until(path, [f"run_dir={run_dir}"], "report", threads=1)
