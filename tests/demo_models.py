"""The demo run's kept models (its ``models.json``), for the tests of kept models and inference;
imported by name like ``tolerances``."""

from __future__ import annotations

from typing import Any


def student_entry(index: dict[str, Any], name: str) -> dict[str, Any]:
    (entry,) = [e for e in index["students"] if e["name"] == name and e["best_seed"]]
    return entry
