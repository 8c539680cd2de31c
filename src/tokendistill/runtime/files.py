"""Atomic file writes (JSON, JSON Lines, bytes, folders) and stable content hashes.

Every stage caches its output on disk and later stages (or a resumed run) trust what they
find there, so an artifact must either be complete at its final path or absent. All writes
go to a temporary sibling (same directory, hence same filesystem) and are moved into place
with ``os.replace``, which is atomic on POSIX. Temporaries carry the writer's pid in their
name, so leftovers from a killed run are recognised and removed on the next attempt without
touching the temporaries of a live concurrent writer. Every JSON file of the project goes
through ``atomic_write_json`` (JSON Lines through ``write_jsonl``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "canonical_json",
    "clean_stale_temporaries",
    "read_jsonl",
    "stable_hash",
    "write_jsonl",
]

_TMP_TAG = ".tmp-"
_OLD_TAG = ".old-"


def _temp_sibling(final: Path, tag: str = _TMP_TAG) -> Path:
    return final.parent / f".{final.name}{tag}{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def clean_stale_temporaries(final_path: str | os.PathLike[str]) -> list[Path]:
    """Remove temporaries of ``final_path`` left by writers that are no longer running.

    Returns the removed paths. Temporaries of live processes (including this one) are kept,
    so two concurrent writers never delete each other's work in progress.
    """
    final = Path(final_path)
    if not final.parent.is_dir():
        return []
    removed: list[Path] = []
    for tag in (_TMP_TAG, _OLD_TAG):
        prefix = f".{final.name}{tag}"
        for candidate in final.parent.glob(f"{prefix}*"):
            pid_part = candidate.name[len(prefix) :].split("-", 1)[0]
            if not pid_part.isdigit() or _pid_alive(int(pid_part)):
                continue
            _remove(candidate)
            removed.append(candidate)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_dir(directory: Path) -> None:
    """Persist a rename (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(final_path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary file path; it replaces ``final_path`` only if the block succeeds.

    For writers that want a path rather than a file object (``pyarrow.parquet.write_table``,
    ``torch.save``). On an exception the temporary is removed and ``final_path`` is untouched.
    """
    final = Path(final_path)
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(final)
    tmp = _temp_sibling(final)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"atomic write of {final}: nothing was written to {tmp}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        _remove(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the final path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns the final path."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(
    path: str | os.PathLike[str],
    obj: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = True,
    allow_nan: bool = False,
) -> Path:
    """Write ``obj`` as JSON atomically. NaN/inf are rejected (they are not valid JSON) unless
    ``allow_nan`` (a record of what happened, such as a loss that diverged)."""
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False, allow_nan=allow_nan)
    return atomic_write_text(path, text + "\n")


def write_jsonl(path: str | os.PathLike[str], records: Iterable[dict[str, Any]]) -> Path:
    """JSON Lines, atomically: one object per line."""
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@contextlib.contextmanager
def atomic_dir(final_path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary directory that is renamed to ``final_path`` on success.

    A directory artifact (a model checkpoint, a dataset) is written into the temporary and
    appears at ``final_path`` all at once, so readers never see a half-written one. On an
    exception the temporary is deleted. If ``final_path`` exists, ``overwrite=False`` raises
    ``FileExistsError`` up front; ``overwrite=True`` moves the old directory aside, renames the
    new one in and then deletes the old one (the final path is briefly absent, never partial).
    """
    final = Path(final_path)
    if final.exists() and not overwrite:
        raise FileExistsError(f"{final} already exists (pass overwrite=True to replace it)")
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(final)
    tmp = _temp_sibling(final)
    tmp.mkdir()
    try:
        yield tmp
        old: Path | None = None
        if final.exists():
            if not overwrite:
                raise FileExistsError(f"{final} appeared while it was being written")
            old = _temp_sibling(final, _OLD_TAG)
            os.replace(final, old)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        if old is not None:
            _remove(old)
    except BaseException:
        _remove(tmp)
        raise


def _canonical(obj: Any) -> Any:
    """Reduce ``obj`` to JSON types whose serialisation does not depend on construction order."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return _canonical(obj.value)
    if isinstance(obj, os.PathLike):
        return Path(obj).as_posix()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _canonical({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if hasattr(obj, "model_dump") and callable(obj.model_dump):  # pydantic models
        return _canonical(obj.model_dump(mode="json"))
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"stable_hash: mapping keys must be str, got {key!r}")
            out[key] = _canonical(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        items = [_canonical(v) for v in obj]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    if type(obj).__module__ == "numpy" and hasattr(obj, "tolist"):  # numpy scalars / arrays
        return _canonical(obj.tolist())
    raise TypeError(f"stable_hash: cannot canonicalise {type(obj).__name__} ({obj!r})")


def canonical_json(obj: Any) -> str:
    """Compact JSON with sorted keys; equal configs give equal strings however they were built."""
    return json.dumps(
        _canonical(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def stable_hash(obj: Any, length: int = 16) -> str:
    """Short sha256 hex of ``canonical_json(obj)``.

    Used as a cache key: pass the slice of the config a stage depends on together with the
    keys of its upstream artifacts, so a change anywhere upstream changes the key.
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be in 1..64, got {length}")
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:length]
