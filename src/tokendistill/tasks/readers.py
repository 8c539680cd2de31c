"""Reading task files into ``Record``s that remember where each row came from.

Every row keeps its file and 1-based line (or row) number so that any later check can
raise a ``DataError`` pointing at it. JSON Lines is the DSS layout (``Dataset.to_json``);
CSV and Parquet serve config-defined tasks.

Nothing is guessed: a CSV row with more or fewer fields than the header (an unquoted comma
in a question) is an error naming its line, never a row with shifted fields; null and NaN
values (JSON ``null``/``NaN``, Parquet nulls, pandas' NaN) are missing fields; a file with
no rows is an error.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tokendistill.errors import DataError

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
        """The raw value of ``field``; a missing, null or NaN field is an error."""
        if is_missing(self.fields.get(field)):
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


def is_missing(value: Any) -> bool:
    """Whether a raw value stands for "no value": None, or a float NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


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
    """All rows of a JSON Lines, CSV or Parquet file (format inferred when not given);
    a file without rows is an error."""
    require_file(path)
    readers = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}
    return require_rows(readers[fmt or infer_format(path)](path), path)


def require_rows(records: list[Record], path: Path) -> list[Record]:
    """``records`` unless there are none (an empty split cannot be trained or scored on)."""
    if not records:
        raise DataError("the file has no rows", file=path)
    return records


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
    """A CSV file with a header row; line numbers are those of each row's first line.

    Every row must have exactly the header's fields: a comma inside an unquoted field would
    otherwise shift the label into another column without a word.
    """
    records = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if not header:
                raise DataError("empty CSV file: no header row", file=path, line=1)
            _check_header(header, path)
            start = reader.line_num + 1
            for row in reader:
                if row:  # a blank line is no row
                    _check_width(row, header, path, start)
                    records.append(
                        Record(str(path), start, len(records), dict(zip(header, row, strict=True)))
                    )
                start = reader.line_num + 1
    except csv.Error as err:
        raise DataError(f"malformed CSV ({err})", file=path, line=reader.line_num) from err
    except UnicodeDecodeError as err:
        raise DataError(f"not UTF-8 text ({err.reason})", file=path) from err
    return records


def _check_header(header: list[str], path: Path) -> None:
    names = [name.strip() for name in header]
    if not all(names) or len(set(names)) != len(names):
        raise DataError(
            f"the header row needs distinct, non-empty column names, got {header}", file=path, line=1
        )


def _check_width(row: list[str], header: list[str], path: Path, line: int) -> None:
    if len(row) != len(header):
        raise DataError(
            f"{len(row)} fields, but the header has {len(header)} ({', '.join(header)}); "
            "quote a field that contains a comma",
            file=path,
            line=line,
        )


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
