"""A name -> entry registry: an explicit dict filled by explicit ``register`` calls.

Every extension point (tasks, attribution methods, student modes, rationale sources) is one
``Registry``: entries register once under their ``name``, ``names()`` lists them in
registration order, and an unknown or taken name fails with the same words for every kind.
Config validation, the CLI's lists and the tests read ``names()``, so a new entry is one
module plus one registration and every list picks it up. Traits are class attributes, so
``get(name)`` answers them whether the registry holds classes (attribution methods) or
instances (the others).
"""

from __future__ import annotations

import inspect
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name; a second entry under a taken name is refused.

    ``error`` is the exception type an unknown name raises (a ``ValueError``); ``hint`` is
    appended to that message (another way to name an entry, say).
    """

    def __init__(self, kind: str, *, error: type[ValueError] = ValueError, hint: str = "") -> None:
        self.kind = kind
        self._error = error
        self._hint = hint
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        """Add ``entry`` under ``entry.name`` (usable as a class decorator)."""
        name = getattr(entry, "name", "")
        if not name:
            raise ValueError(f"{self.kind} {_label(entry)} has no name")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered ({_label(self._entries[name])})")
        self._entries[name] = entry
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a plugin that is switched off again)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> T:
        """The entry ``name``; an unknown name lists the known ones."""
        try:
            return self._entries[name]
        except KeyError:
            hint = f" {self._hint}" if self._hint else ""
            raise self._error(f"unknown {self.kind} {name!r}; known: {self.names()}{hint}") from None

    def build(self, name: str, **options: Any) -> Any:
        """An instance of the class registered as ``name``, built with ``options``; keys its
        constructor does not take are refused (naming the ones it does) before it runs."""
        cls = self.get(name)
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        accepted = [p.name for p in inspect.signature(cls).parameters.values() if p.kind in named]
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise ValueError(f"{self.kind} {name!r} has no option(s) {unknown}; its options: {accepted}")
        return cls(**options)  # type: ignore[operator]

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries


def _label(entry: object) -> str:
    """How an error names an entry: a class by its qualified name, an instance by its repr."""
    return entry.__qualname__ if isinstance(entry, type) else repr(entry)
