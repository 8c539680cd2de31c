"""``schema``: the config models' JSON Schema, for editors and scripts."""

from __future__ import annotations

from typing import Annotated

import typer


def schema_command(
    sweep: Annotated[bool, typer.Option("--sweep", help="print a sweep config's schema instead")] = False,
) -> None:
    """Print the JSON Schema of a run config: every key with its type, default, allowed values
    and meaning (docs/config.md in the repository is the same reference as a page)."""
    from tokendistill.reference import config_schema, schema_text, sweep_schema

    typer.echo(schema_text(sweep_schema() if sweep else config_schema()), nl=False)
