"""Resumable, rank-aware attribution writing: atomic part files in a work folder, merged at the end.

Attribution over a large dataset with a large teacher takes hours and may be killed
(preemption, OOM). Finished records are stored as atomic part files (``runtime.parts``); a
new writer on the same folder reads which example ids are done and hands out only the rest
(``pending()``), and ``finalize()`` sorts all rows into the planned example order. The final artifact
therefore depends neither on where (or whether) the run was interrupted, nor on the chunk
size, nor on how many processes wrote the parts.

Several processes (``accelerate launch``) share one folder: every rank constructs the
writer with the same ``order`` and metadata; each reads the done-set, waits at a barrier
so that all ranks see the same done-set before anyone writes, and takes a contiguous share
of the pending ids. A part is named after the position of its first example in ``order``
(``part-<position>.parquet``): pending examples are in no part yet, and ranks' shares are
disjoint, so parts of two ranks, or of two runs with different world sizes, never collide.
A run killed with N processes can thus be resumed with M.

A ``manifest.json`` pins the run's metadata and planned example order: resuming with a
different config or dataset raises instead of mixing results of two runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.store import (
    PathLike,
    read_table,
    records_to_table,
    sort_table,
    write_attributions,
    write_table,
)
from tokendistill.distributed import ProcessState, default_state, shard_range
from tokendistill.runtime.files import atomic_write_json, stable_hash
from tokendistill.runtime.parts import Parts

__all__ = ["MANIFEST", "AttributionWriter"]

MANIFEST = "manifest.json"


class AttributionWriter:
    """Append this rank's finished records to ``run_dir`` in atomic parts; merge them with ``finalize``.

    ``order`` is the full planned list of example ids of the run (the same on every rank);
    it fixes the row order of the final artifact. ``state`` is the process state (default:
    ``default_state()``, a single process unless launched with several). Use as a context
    manager so buffered records are flushed when the loop ends, also on an exception (they
    are complete records).
    """

    def __init__(
        self,
        run_dir: PathLike,
        order: Sequence[str],
        metadata: Mapping[str, Any],
        chunk_size: int = 256,
        *,
        state: ProcessState | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.run_dir = Path(run_dir)
        self.parts = Parts(self.run_dir, "parquet", width=5)
        self.order = list(order)
        self.metadata = dict(metadata)
        self.chunk_size = chunk_size
        self.state = state or default_state()
        self._position = {ex_id: i for i, ex_id in enumerate(self.order)}
        if len(self._position) != len(self.order):
            raise ValueError("order contains duplicate example ids")
        self._buffer: list[TokenAttribution] = []
        self._buffered: set[str] = set()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._sync_manifest()
        self._done = self._read_done()
        # Nobody writes before every rank has read the same done-set.
        self.state.wait_for_everyone()
        pending = [i for i in self.order if i not in self._done]
        share = shard_range(len(pending), self.state.process_index, self.state.num_processes)
        self._share = pending[share.start : share.stop]
        self._mine = frozenset(self._share)

    def _sync_manifest(self) -> None:
        """The main process pins (or finds) the manifest; after a barrier every rank checks it."""
        manifest = {
            "metadata": self.metadata,
            "n_examples": len(self.order),
            "order_hash": stable_hash(self.order),
        }
        path = self.run_dir / MANIFEST
        if self.state.is_main_process:
            self.parts.clean()
            if not path.exists():
                atomic_write_json(path, manifest)
        self.state.wait_for_everyone()
        if json.loads(path.read_text(encoding="utf-8")) != json.loads(json.dumps(manifest)):
            raise ValueError(
                f"{self.run_dir} holds a run with a different config or example order; "
                "use a fresh directory (or delete it) instead of resuming"
            )

    def _read_done(self) -> set[str]:
        done: set[str] = set()
        for part in self.parts.found():
            ids = pq.read_table(part, columns=["example_id"]).column("example_id").to_pylist()
            overlap = done.intersection(ids)
            if overlap:
                raise ValueError(f"{part} repeats example ids already written, e.g. {sorted(overlap)[:3]}")
            done.update(ids)
        return done

    @property
    def done(self) -> frozenset[str]:
        """Example ids in part files (as found at construction), written or buffered since by this rank."""
        return frozenset(self._done | self._buffered)

    def pending(self) -> list[str]:
        """Ids of this rank's share still to compute, in ``order``."""
        done = self.done
        return [i for i in self._share if i not in done]

    @property
    def complete(self) -> bool:
        """Whether this rank's share is done."""
        return not self.pending()

    def add(self, record: TokenAttribution) -> None:
        """Buffer one finished record of this rank's share; writes a part every ``chunk_size`` records."""
        ex_id = record.example_id
        if ex_id not in self._position:
            raise ValueError(f"example {ex_id!r} is not in this run's order")
        if ex_id in self._done or ex_id in self._buffered:
            raise ValueError(f"example {ex_id!r} was already written")
        if ex_id not in self._mine:
            raise ValueError(f"example {ex_id!r} is in the share of another rank")
        self._buffer.append(record)
        self._buffered.add(ex_id)
        if len(self._buffer) >= self.chunk_size:
            self.flush()

    def extend(self, records: Sequence[TokenAttribution]) -> None:
        for record in records:
            self.add(record)

    def flush(self) -> Path | None:
        """Write the buffered records as one part (atomically); returns its path."""
        if not self._buffer:
            return None
        records = sorted(self._buffer, key=lambda r: self._position[r.example_id])
        # Its first example was pending, so only a foreign layout has a part of this number.
        path = self.parts.write(
            self._position[records[0].example_id],
            lambda part: write_attributions(part, records, self.metadata),
            holds=repr(records[0].example_id),
        )
        self._done.update(self._buffered)
        self._buffer.clear()
        self._buffered.clear()
        return path

    def finalize(self, out_path: PathLike, *, allow_missing: bool = False) -> Path:
        """Flush; once every rank has, the main process merges all parts into ``out_path``
        in ``order`` (atomic). Returns ``out_path`` on every rank, after the merge.

        Raises if examples are missing unless ``allow_missing``. The part files are kept:
        delete ``run_dir`` once the artifact is safely in place.
        """
        self.flush()
        self.state.wait_for_everyone()
        try:
            if self.state.is_main_process:
                tables = [read_table(p)[0] for p in self.parts.found()]
                table = pa.concat_tables(tables) if tables else records_to_table([])
                merged = sort_table(table, self.order, allow_missing=allow_missing)
                write_table(out_path, merged, self.metadata)
        finally:
            # Also on a failed merge, so the other ranks are not left waiting.
            self.state.wait_for_everyone()
        return Path(out_path)

    def __enter__(self) -> AttributionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
