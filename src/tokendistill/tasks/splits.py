"""Deterministic hold-out and trimming of splits.

The hold-out reproduces DSS's validation split exactly: DSS's ``run.py`` calls
``Dataset.train_test_split(test_size=0.1, seed=0)`` from HF ``datasets``; we call the same
function on a column of row indices, so the same rows (in the same, shuffled order) land
in train and valid as in DSS, and any data attached to a row travels with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from tokendistill.errors import DataError

T = TypeVar("T")


def holdout_indices(n: int, test_size: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) row indices as ``datasets.Dataset.train_test_split`` returns them.

    ``test_size`` 0 holds nothing out. Sizes follow ``datasets``: ceil(test_size * n) held
    out, the rest train; a split that would leave either side empty is an error.
    """
    if test_size <= 0:
        return list(range(n)), []
    from datasets import Dataset

    table = Dataset.from_dict({"row": list(range(n))})
    try:
        parts = table.train_test_split(test_size=test_size, seed=seed)
    except ValueError as err:
        raise ValueError(f"cannot hold out {test_size:g} of {n} rows: {err}") from err
    return list(parts["train"]["row"]), list(parts["test"]["row"])


def holdout(items: Sequence[T], test_size: float, seed: int) -> tuple[list[T], list[T]]:
    """``items`` split into (train, held-out) with ``holdout_indices``."""
    train_idx, test_idx = holdout_indices(len(items), test_size, seed)
    return [items[i] for i in train_idx], [items[i] for i in test_idx]


def holdout_or_fail(items: Sequence[T], test_size: float, seed: int, origin: str) -> tuple[list[T], list[T]]:
    """``holdout``, with a ``DataError`` naming ``origin`` (the file held out from) when the
    file has too few rows to leave both sides non-empty."""
    try:
        return holdout(items, test_size, seed)
    except ValueError as err:
        problem = " ".join(str(err).split()).rstrip(".")
        raise DataError(f"{problem}; add rows or set task.valid_fraction", file=origin) from err


def take_first(items: list[T], limit: int | None) -> list[T]:
    """The first ``limit`` items (all when ``limit`` is None)."""
    return items if limit is None else items[:limit]
