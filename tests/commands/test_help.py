"""Every command's ``--help``, in process: sentences that the terminal wraps, not the source's
line breaks, and one example invocation."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from tokendistill import __version__
from tokendistill.cli import app

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
# Wide enough that no help line is wrapped by the terminal: any break left is the text's own.
WIDE = {"COLUMNS": "400"}
SENTENCE_END = re.compile(r"[.!?)]$")


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


def first_paragraph(output: str) -> list[str]:
    """The lines of the description's first paragraph: after ``Usage:`` and a blank line."""
    lines = [line.strip() for line in output.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Usage:")) + 2
    end = next(i for i in range(start, len(lines)) if not lines[i])
    return lines[start:end]


def test_the_command_list_gives_each_command_one_sentence_on_one_line() -> None:
    output = help_of()
    panel = output.split("─ Commands ─", 1)[1].split("╰", 1)[0]
    rows = [line.strip("│ ") for line in panel.splitlines()[1:] if line.strip("│ ")]
    names = [row.split()[0] for row in rows]
    assert names == list(typer.main.get_command(app).commands), "a row is a broken line:\n" + panel
    for row in rows:
        assert SENTENCE_END.search(row), f"not a whole sentence: {row!r}"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_commands_help_opens_with_a_sentence_and_shows_an_example(command: str) -> None:
    output = help_of(command)
    paragraph = first_paragraph(output)
    assert len(paragraph) == 1, f"`{command} --help` breaks its first paragraph:\n" + "\n".join(paragraph)
    assert SENTENCE_END.search(paragraph[0]), f"not a whole sentence: {paragraph[0]!r}"
    assert re.search(rf"^ *Example: tokendistill {command}\b", output, re.MULTILINE), output


def test_the_top_level_help_shows_an_example() -> None:
    assert "Example: tokendistill " in help_of()


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"tokendistill {__version__}\n"
