"""How the command line reports failures: one line per problem, never a traceback.

Every ``InputError`` (a bad config value, data row, model spec, run directory) is printed
as it is, one line (a config with several invalid values: one line for each), with exit
status 2. Anything else is a bug or a failure of the environment: one line naming it, plus
the path of a log file that holds its traceback, with exit status 1. Ctrl-C prints
"interrupted" (exit status 130). A command that has loaded a config registers it
(``loaded``), so an error found later still names the config file and line of the value at
fault, and a crash log goes to the run directory when there is one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from tokendistill.config import Config
    from tokendistill.config_io import SourceMap

# Errors go to stderr, unwrapped: one message stays one line however narrow the terminal.
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class _Invocation:
    """What the running command has loaded: where config values came from, the run directory."""

    source: SourceMap | None = None
    run_dir: Path | None = None


_current = _Invocation()


def loaded(config: Config) -> Config:
    """Register the config the running command loaded (see the module docstring)."""
    _current.source, _current.run_dir = config.source, Path(config.run_dir)
    return config


def fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def crash(err: BaseException, folder: Path | None = None) -> NoReturn:
    """An unexpected failure: one line, and its traceback in a log file."""
    from tokendistill.errors import crash_log, one_line

    log = crash_log(err, folder)
    where = f" (traceback in {log})" if log else ""
    err_console.print(f"[red]error:[/red] unexpected {type(err).__name__}: {escape(one_line(err) + where)}")
    raise typer.Exit(code=1)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """``command`` with every failure reported in one line (see the module docstring)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from tokendistill.config_io import ConfigError
        from tokendistill.errors import InputError

        _current.source = _current.run_dir = None
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ConfigError as err:
            fail(str(_current.source.locate(err) if _current.source else err))
        except InputError as err:
            fail(str(err))
        except KeyboardInterrupt:
            err_console.print("[red]interrupted[/red]")
            raise typer.Exit(code=130) from None
        except Exception as err:
            crash(err, _current.run_dir)

    return wrapper  # type: ignore[return-value]
