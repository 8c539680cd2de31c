"""What a finished artifact holds, recorded when it is written and checked when it is reused.

``DONE.json`` lists every file of the artifact with its size and SHA-256, and a ``digest``
of that list (the artifact's content identity). Reusing an artifact checks the sizes
always, which is free, and the checksums the first time the artifact is read in a run, so
a truncated file, a flipped byte or a file replaced by hand is found before a stage reads
it. Deleting files of a finished artifact on purpose (a keep policy pruning a model) goes
through ``without``, which moves them from ``files`` to ``pruned``; the digest stays, so
what was built from the artifact stays valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokendistill.runtime.files import stable_hash

DONE = "DONE.json"
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (model weights can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_list(folder: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"size", "sha256"}}`` of every file under ``folder`` but DONE.json."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative != DONE:
            files[relative] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
    return files


def content_digest(files: Mapping[str, Any]) -> str:
    """The identity of an artifact's content: a hash of its file list."""
    return stable_hash(dict(files))


def problem(folder: Path, done: Mapping[str, Any], *, checksum: bool) -> str | None:
    """What is wrong with the files ``done`` lists under ``folder`` (None: nothing): a
    missing file, a size that differs and, with ``checksum``, content that differs."""
    if not (isinstance(done, Mapping) and isinstance(done.get("files"), Mapping) and "digest" in done):
        return f"{folder / DONE} is not a complete record"
    files: Mapping[str, Mapping[str, Any]] = done["files"]
    for relative, entry in files.items():
        path = folder / relative
        if not path.is_file():
            return f"{path} is missing"
        size = path.stat().st_size
        if size != entry["size"]:
            return f"{path} has {size:,} bytes, not the {entry['size']:,} it was written with"
    if checksum:
        for relative, entry in files.items():
            if sha256_of(folder / relative) != entry["sha256"]:
                return f"{folder / relative} differs from what was written (checksum mismatch)"
    return None


def without(done: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """``done`` after the file or folder ``prefix`` of the artifact was deleted on purpose:
    its files leave ``files`` and ``prefix`` is recorded under ``pruned``."""
    folder = prefix.rstrip("/") + "/"
    files = {
        rel: entry for rel, entry in done["files"].items() if rel != prefix and not rel.startswith(folder)
    }
    return {**done, "files": files, "pruned": sorted({*done.get("pruned", []), prefix})}
