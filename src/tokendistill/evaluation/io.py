"""JSON and JSON Lines files for evaluation outputs, written atomically.

A reader (or a resumed run) sees either the previous file or the complete new one, never a
half-written file from a killed process (``tokendistill.artifacts`` does the temp + rename).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tokendistill.artifacts import atomic_write_text


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """One JSON document, indented, keys in insertion order."""
    return atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_jsonl(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> Path:
    """JSON Lines: one object per line."""
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
