"""What every command shares: the consoles, option types, and one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from tokendistill.config import Config

console = Console()
# Errors go to stderr, unwrapped: one message stays one line however narrow the terminal.
err_console = Console(stderr=True, soft_wrap=True)

ConfigArg = Annotated[Path, typer.Argument(help="YAML config file", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="override a config key, e.g. --set selection.k=7 (repeatable)"),
]


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with status 2."""
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def quiet_libraries() -> None:
    """Our commands report their own progress; library progress bars and info logs are noise."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Known failures (bad config, data, model, Hub, deploy input) as one red line, exit 2."""
    from tokendistill.config_io import ConfigError
    from tokendistill.deploy.errors import DeployError
    from tokendistill.models.errors import ModelSpecError
    from tokendistill.tasks import DataError

    quiet_libraries()
    try:
        yield
    except (ConfigError, DataError, DeployError, ModelSpecError) as err:
        fail(str(err))


def load_config(path: Path, overrides: list[str] | None) -> Config:
    """The validated run config at ``path`` with ``--set`` overrides, or a one-line error."""
    from tokendistill.config import Config
    from tokendistill.config_io import ConfigError, load_yaml_config

    try:
        return load_yaml_config(path, Config, overrides or [])
    except ConfigError as err:
        fail(str(err))
