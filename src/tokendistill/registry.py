"""A name -> entry registry: an explicit dict filled by explicit ``register`` calls.

Tasks of one kind (rationale sources, student modes) each register once under their
``name``; config validation, the CLI's choices and the tests read ``names()``, so a new
entry is one module plus one registration and every list picks it up.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name; a second entry under a taken name is refused."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` under ``entry.name`` (usable as a class decorator)."""
        name = getattr(entry, "name", "")
        if not name:
            raise ValueError(f"{entry!r} has no name")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered ({self._entries[name]!r})")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a plugin that is switched off again)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"unknown {self.kind} {name!r}; known: {self.names()}") from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries
