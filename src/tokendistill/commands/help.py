"""How a command's help reads in a terminal: sentences, never cut by a docstring's line breaks.

A docstring is wrapped to the source's line length; typer prints a command's first paragraph
in the command list with those breaks kept. Each paragraph is therefore joined into one line
here, and the terminal (rich) wraps it to its own width.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from rich.markup import escape


def help_text(command: Callable[..., Any]) -> str:
    """``command``'s docstring with each paragraph on one line (paragraphs stay apart)."""
    paragraphs = inspect.cleandoc(command.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs if paragraph.strip())


def example_epilog(example: str) -> str:
    """The line shown under a command's options: one invocation to copy."""
    return escape(f"Example: {example}")
