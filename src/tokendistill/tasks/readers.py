"""Reading task files into ``Record``s that remember where each row came from.

Every row keeps its file and 1-based line (or row) number so that any later check can
raise a ``DataError`` pointing at it. JSON Lines is the DSS layout (``Dataset.to_json``);
CSV and Parquet serve config-defined tasks.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tokendistill.tasks.errors import DataError

FileFormat = Literal["jsonl", "csv", "parquet"]
_EXTENSIONS: dict[str, FileFormat] = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class Record:
    """One raw row: its fields, 0-based ``row`` index and where it was read from."""

    source: str
    line: int
    row: int
    fields: dict[str, Any]
    line_kind: str = "line"

    def error(self, problem: str, field: str | None = None) -> DataError:
        """A ``DataError`` located at this record (and ``field``)."""
        return DataError(problem, file=self.source, line=self.line, field=field, line_kind=self.line_kind)

    def value(self, field: str) -> Any:
        """The raw value of ``field``; a missing or null field is an error."""
        if self.fields.get(field) is None:
            raise self.error(f"missing field (present: {sorted(self.fields)})", field)
        return self.fields[field]

    def text(self, field: str) -> str:
        """``field`` as a non-empty string."""
        value = self.value(field)
        if not isinstance(value, str):
            raise self.error(f"expected text, got {type(value).__name__} {value!r}", field)
        if not value.strip():
            raise self.error("empty text: the input would have no content", field)
        return value


def require_dir(path: Path, what: str) -> Path:
    """``path`` if it is a folder, else a ``DataError`` saying how to point at the data."""
    if not path.is_dir():
        raise DataError(f"{what} folder not found (set task.data_dir or $TOKENDISTILL_DATA)", file=path)
    return path


def require_file(path: Path, hint: str = "") -> Path:
    if not path.is_file():
        raise DataError("file not found" + (f"; {hint}" if hint else ""), file=path)
    return path


def infer_format(path: Path) -> FileFormat:
    """The file format from the extension (.jsonl/.json, .csv, .parquet/.pq)."""
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"cannot infer the format from {path.suffix!r}; set custom.format", file=path)
    return fmt


def read_records(path: Path, fmt: FileFormat | None = None) -> list[Record]:
    """All rows of a JSON Lines, CSV or Parquet file (format inferred when not given)."""
    require_file(path)
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return readers[fmt or infer_format(path)](path)


def read_jsonl(path: Path) -> list[Record]:
    """One JSON object per line; blank lines are skipped, anything else malformed is an error."""
    records = []
    for line_no, line in _lines(path):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(
                f"malformed JSON ({err.msg} at column {err.colno})", file=path, line=line_no
            ) from err
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", file=path, line=line_no)
        records.append(Record(str(path), line_no, len(records), obj))
    return records


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", file=path) from err


def read_csv(path: Path) -> list[Record]:
    """A CSV file with a header row; line numbers are those of each row's first line."""
    records = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise DataError("empty CSV file: no header row", file=path, line=1)
            start = reader.line_num + 1
            for row in reader:
                fields = {key: value for key, value in row.items() if key is not None}
                records.append(Record(str(path), start, len(records), fields))
                start = reader.line_num + 1
    except (csv.Error, UnicodeDecodeError) as err:
        raise DataError(f"malformed CSV ({err})", file=path) from err
    return records


def read_parquet(path: Path) -> list[Record]:
    """A Parquet file; "row" numbers are 1-based."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, pa.ArrowException) as err:
        raise DataError(f"malformed Parquet ({err})", file=path) from err
    return [Record(str(path), i + 1, i, row, line_kind="row") for i, row in enumerate(rows)]


def read_json_list(path: Path) -> list[Any]:
    """A file holding one JSON array (the PaLM output batches, SVAMP.json)."""
    require_file(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        problem = f"malformed JSON ({err.msg} at column {err.colno})"
        raise DataError(problem, file=path, line=err.lineno) from err
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", file=path) from err
    if not isinstance(data, list):
        raise DataError(f"expected a JSON list, got {type(data).__name__}", file=path)
    return data
