"""Write the reference files (``docs/`` in the repository) from the config models."""

from __future__ import annotations

import sys
from pathlib import Path

from tokendistill.reference.markdown import config_reference
from tokendistill.reference.schema import SCHEMA_FILES, schema_text

REFERENCE_FILE = "config.md"


def reference_files() -> dict[str, str]:
    """Every reference file's name and the text the config models give it."""
    files = {REFERENCE_FILE: config_reference()}
    files.update({name: schema_text(schema()) for name, schema in SCHEMA_FILES.items()})
    return files


def write_reference(folder: Path) -> list[Path]:
    """Write every reference file into ``folder`` (atomically); their paths."""
    from tokendistill.runtime.files import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    return [atomic_write_text(folder / name, text) for name, text in reference_files().items()]


def main(argv: list[str]) -> None:
    for path in write_reference(Path(argv[0] if argv else "docs")):
        print(f"written: {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
