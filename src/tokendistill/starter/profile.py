"""What a data file holds, as far as a starter config needs it: its columns and their values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokendistill.tasks.readers import is_missing, read_records


@dataclass(frozen=True)
class DataProfile:
    """The rows of a data file, read as the task loaders read them (JSON Lines, CSV, Parquet)."""

    path: Path
    rows: list[dict[str, Any]]

    @property
    def columns(self) -> list[str]:
        """Every column, in the order the rows first show it."""
        return list(dict.fromkeys(name for row in self.rows for name in row))

    def values(self, column: str) -> list[Any]:
        """The column's values in rows that have one (missing, null and NaN left out)."""
        return [row[column] for row in self.rows if not is_missing(row.get(column))]

    def texts(self, column: str) -> list[str]:
        """The column's scalar values as text (what a label or an input becomes)."""
        return [str(value) for value in self.values(column) if not isinstance(value, (list, dict))]


def profile_file(path: Path) -> DataProfile:
    """The profile of a data file (a ``DataError`` names the file and line of a bad row)."""
    return DataProfile(path, [record.fields for record in read_records(path)])
