"""JSON Schemas of the run config and the sweep config, as pydantic writes them."""

from __future__ import annotations

import json
from typing import Any


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a run config (``tokendistill run``)."""
    from tokendistill.config import Config

    return Config.model_json_schema()


def sweep_schema() -> dict[str, Any]:
    """The JSON Schema of a sweep config (``tokendistill sweep``)."""
    from tokendistill.sweep.config import SweepConfig

    return SweepConfig.model_json_schema()


# The checked-in schema files (under docs/) that presets name in their first line.
SCHEMA_FILES = {"config.schema.json": config_schema, "sweep.schema.json": sweep_schema}


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the checked-in files hold it: indented JSON, one final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
