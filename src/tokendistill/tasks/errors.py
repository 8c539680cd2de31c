"""The one error type for bad task data, pointing at the exact place to fix.

A wrong dataset usually fails far away from its cause (a KeyError in a collator, a label
the metric never matches). Loaders check every row as they read it and raise
``DataError`` naming the file, the 1-based line (or row) and the field, so the message
alone says what to open and where. It is an ``InputError`` (a ``ValueError``): bad data
is a bad argument value, like ``ModelSpecError`` in ``tokendistill.models``.
"""

from __future__ import annotations

from pathlib import Path

from tokendistill.errors import InputError


class DataError(InputError):
    """Bad or missing task data: a folder, file, line or field that cannot be used."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        line_kind: str = "line",
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.line_kind = line_kind
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(f"{self.line_kind} {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem
