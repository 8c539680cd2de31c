"""Resumable attribution writing: atomic part files in a run directory, merged at the end.

Attribution over a large dataset with a large teacher takes hours and may be killed
(preemption, OOM). The writer stores every ``chunk_size`` finished records as an atomic
``part-NNNNN.parquet``; a new writer on the same directory reads which example ids are done,
the caller skips them (``pending()``), and ``finalize()`` sorts all rows into the planned
example order. The final artifact therefore does not depend on where (or whether) the run
was interrupted, nor on the chunk size.

A ``manifest.json`` pins the run's metadata and planned example order: resuming with a
different config or dataset raises instead of mixing results of two runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tokendistill.artifacts import atomic_write_json, clean_stale_temporaries, stable_hash
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.store import (
    PathLike,
    read_table,
    records_to_table,
    sort_table,
    write_attributions,
    write_table,
)

__all__ = ["AttributionWriter"]

_PART_RE = re.compile(r"^part-(\d{5,})\.parquet$")
MANIFEST = "manifest.json"


class AttributionWriter:
    """Append finished records to ``run_dir`` in atomic parts; merge them with ``finalize``.

    ``order`` is the full planned list of example ids of this run (or of this rank's shard);
    it fixes the row order of the final artifact. Use as a context manager so buffered
    records are flushed when the loop ends, also on an exception (they are complete records).
    """

    def __init__(
        self,
        run_dir: PathLike,
        order: Sequence[str],
        metadata: Mapping[str, Any],
        chunk_size: int = 256,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.run_dir = Path(run_dir)
        self.order = list(order)
        self.metadata = dict(metadata)
        self.chunk_size = chunk_size
        self._position = {ex_id: i for i, ex_id in enumerate(self.order)}
        if len(self._position) != len(self.order):
            raise ValueError("order contains duplicate example ids")
        self._buffer: list[TokenAttribution] = []
        self._done: set[str] = set()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._check_manifest()
        self._next_part = 0
        for index, part in self._parts():
            ids = pq.read_table(part, columns=["example_id"]).column("example_id").to_pylist()
            overlap = self._done.intersection(ids)
            if overlap:
                raise ValueError(f"{part} repeats example ids already written, e.g. {sorted(overlap)[:3]}")
            self._done.update(ids)
            self._next_part = max(self._next_part, index + 1)
        # Temporaries of parts whose writer was killed mid-write (the part itself never appeared).
        for leftover in self.run_dir.glob(".part-*.parquet.tmp-*"):
            clean_stale_temporaries(self.run_dir / leftover.name[1:].split(".tmp-")[0])

    def _check_manifest(self) -> None:
        manifest = {
            "metadata": self.metadata,
            "n_examples": len(self.order),
            "order_hash": stable_hash(self.order),
        }
        path = self.run_dir / MANIFEST
        if path.exists():
            existing = json.loads(path.read_text(encoding="utf-8"))
            if existing != json.loads(json.dumps(manifest)):
                raise ValueError(
                    f"{self.run_dir} holds a run with a different config or example order; "
                    "use a fresh directory (or delete it) instead of resuming"
                )
        else:
            atomic_write_json(path, manifest)

    def _parts(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.run_dir.iterdir():
            m = _PART_RE.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    @property
    def done(self) -> frozenset[str]:
        """Example ids already stored in part files or waiting in the buffer."""
        return frozenset(self._done.union(r.example_id for r in self._buffer))

    def pending(self) -> list[str]:
        """Ids of ``order`` still to compute, in order."""
        done = self.done
        return [i for i in self.order if i not in done]

    @property
    def complete(self) -> bool:
        return not self.pending()

    def add(self, record: TokenAttribution) -> None:
        """Buffer one finished record; writes a part every ``chunk_size`` records."""
        ex_id = record.example_id
        if ex_id not in self._position:
            raise ValueError(f"example {ex_id!r} is not in this run's order")
        if ex_id in self._done or any(r.example_id == ex_id for r in self._buffer):
            raise ValueError(f"example {ex_id!r} was already written")
        self._buffer.append(record)
        if len(self._buffer) >= self.chunk_size:
            self.flush()

    def extend(self, records: Sequence[TokenAttribution]) -> None:
        for record in records:
            self.add(record)

    def flush(self) -> Path | None:
        """Write the buffered records as the next part (atomically); returns its path."""
        if not self._buffer:
            return None
        records = sorted(self._buffer, key=lambda r: self._position[r.example_id])
        path = self.run_dir / f"part-{self._next_part:05d}.parquet"
        write_attributions(path, records, self.metadata)
        self._next_part += 1
        self._done.update(r.example_id for r in records)
        self._buffer.clear()
        return path

    def finalize(self, out_path: PathLike, *, allow_missing: bool = False) -> Path:
        """Flush, then merge all parts into ``out_path`` in ``order`` (atomic).

        Raises if examples are missing unless ``allow_missing``. The part files are kept:
        delete ``run_dir`` once the artifact is safely in place.
        """
        self.flush()
        tables = [read_table(p)[0] for _, p in self._parts()]
        table = pa.concat_tables(tables) if tables else records_to_table([])
        merged = sort_table(table, self.order, allow_missing=allow_missing)
        return write_table(out_path, merged, self.metadata)

    def __enter__(self) -> AttributionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
