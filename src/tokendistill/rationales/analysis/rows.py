"""The base of every analysis table row: columns named next to fields, and the JSON form
(undefined values as ``null``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, TypeVar

__all__ = ["JSON", "Row", "finite_or_null"]

JSON = dict[str, Any]
R = TypeVar("R", bound="Row")


def finite_or_null(value: Any) -> Any:
    """``value`` with every non-finite float (NaN means "undefined") as ``None``, mappings'
    keys as text and numpy scalars/arrays as Python values: what JSON can hold."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return finite_or_null(value.tolist())
    return value


@dataclass(frozen=True)
class Row:
    """A table row: ``COLUMNS`` pairs each column header with the field that fills it."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()

    def columns(self) -> tuple[tuple[str, str], ...]:
        return self.COLUMNS

    def headers(self) -> list[str]:
        return [header for header, _ in self.columns()]

    def values(self) -> list[Any]:
        return [getattr(self, name) for _, name in self.columns()]

    def to_json(self) -> JSON:
        return {header: finite_or_null(getattr(self, name)) for header, name in self.columns()}

    @classmethod
    def from_json(cls: type[R], data: Mapping[str, Any]) -> R:
        """The row from its JSON form; a column with a default may be absent (older files)."""
        optional = {f.name for f in fields(cls) if f.default is not MISSING}
        return cls(
            **{name: data[header] for header, name in cls.COLUMNS if header in data or name not in optional}
        )
