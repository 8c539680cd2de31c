"""The config reference, generated from the config models (their ``Field`` descriptions are
the one home of each key's meaning): the JSON Schemas editors validate presets with, and
``docs/config.md``. ``python -m tokendistill.reference docs`` rewrites the checked-in copies.
"""

from tokendistill.reference.markdown import config_reference, documented_models
from tokendistill.reference.schema import SCHEMA_FILES, config_schema, schema_text, sweep_schema
from tokendistill.reference.write import REFERENCE_FILE, reference_files, write_reference

__all__ = [
    "REFERENCE_FILE",
    "SCHEMA_FILES",
    "config_reference",
    "config_schema",
    "documented_models",
    "reference_files",
    "schema_text",
    "sweep_schema",
    "write_reference",
]
