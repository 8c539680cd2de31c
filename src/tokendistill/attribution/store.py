"""The attribution artifact: ``TokenAttribution`` records as one Parquet file.

Parquet (via pyarrow, never pickle) keeps the artifact language-neutral, typed and
inspectable. Run-level facts (method, model, target mode, aggregation, config hash,
versions) live in the file's key/value metadata as one JSON object under ``METADATA_KEY``.

Writing is deterministic: the same records and metadata always give the same bytes (fixed
compression, one contiguous chunk per column), which is what lets a resumed or
multi-process run (``writer.AttributionWriter``), or artifacts merged with ``merge_shards``,
be checked against a single uninterrupted run byte for byte.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tokendistill import __version__
from tokendistill.attribution.result import TokenAttribution
from tokendistill.runtime.files import atomic_path

__all__ = [
    "METADATA_KEY",
    "SCHEMA",
    "SCHEMA_VERSION",
    "merge_shards",
    "read_attributions",
    "read_metadata",
    "read_table",
    "records_to_table",
    "sort_table",
    "table_to_records",
    "write_attributions",
    "write_table",
]

PathLike = str | os.PathLike[str]

METADATA_KEY = b"tokendistill.attribution"
SCHEMA_VERSION = 1

SCHEMA = pa.schema(
    [
        pa.field("example_id", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("tokens", pa.list_(pa.string()), nullable=False),
        pa.field("offsets", pa.list_(pa.list_(pa.int32(), 2)), nullable=False),
        pa.field("content", pa.list_(pa.bool_()), nullable=False),
        pa.field("scores", pa.list_(pa.float64()), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("teacher_answer", pa.string(), nullable=False),
        pa.field("gold", pa.string(), nullable=False),
        pa.field("teacher_correct", pa.bool_(), nullable=False),
        pa.field("finite", pa.bool_(), nullable=False),
    ]
)

_STRING_FIELDS = ("example_id", "split", "text", "target", "teacher_answer", "gold")


def records_to_table(records: Iterable[TokenAttribution]) -> pa.Table:
    """Records → an Arrow table with ``SCHEMA`` (row order kept)."""
    cols: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for r in records:
        for name in _STRING_FIELDS:
            cols[name].append(getattr(r, name))
        cols["tokens"].append(list(r.tokens))
        cols["offsets"].append([[int(s), int(e)] for s, e in r.offsets])
        cols["content"].append([bool(c) for c in r.content])
        cols["scores"].append([float(s) for s in r.scores])
        cols["teacher_correct"].append(bool(r.teacher_correct))
        cols["finite"].append(bool(r.finite))
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def table_to_records(table: pa.Table) -> list[TokenAttribution]:
    """An Arrow table with ``SCHEMA`` columns → records."""
    missing = [n for n in SCHEMA.names if n not in table.column_names]
    if missing:
        raise ValueError(f"attribution table lacks columns {missing}")
    rows = table.select(SCHEMA.names).to_pylist()
    out = []
    for row in rows:
        row["offsets"] = [(s, e) for s, e in row["offsets"]]
        out.append(TokenAttribution(**row))
    return out


def _full_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(metadata)
    meta.setdefault("schema_version", SCHEMA_VERSION)
    versions = dict(meta.get("versions") or {})
    versions.setdefault("tokendistill", __version__)
    versions.setdefault("pyarrow", pa.__version__)
    meta["versions"] = versions
    return meta


def write_table(path: PathLike, table: pa.Table, metadata: Mapping[str, Any]) -> Path:
    """Write an attribution table atomically with ``metadata`` (JSON) attached.

    Deterministic: chunks are combined and compression/row groups are fixed, so equal
    tables with equal metadata give equal bytes regardless of how the table was assembled.
    """
    table = table.select(SCHEMA.names).cast(SCHEMA).combine_chunks()
    meta_json = json.dumps(_full_metadata(metadata), sort_keys=True, ensure_ascii=False, allow_nan=False)
    table = table.replace_schema_metadata({METADATA_KEY: meta_json.encode("utf-8")})
    with atomic_path(path) as tmp:
        pq.write_table(
            table, tmp, compression="zstd", compression_level=3, row_group_size=4096, use_dictionary=False
        )
    return Path(path)


def write_attributions(
    path: PathLike, records: Iterable[TokenAttribution], metadata: Mapping[str, Any]
) -> Path:
    """Write ``records`` (in the given order) and ``metadata`` to ``path`` atomically.

    ``metadata`` should hold method, model, target mode, aggregation and config hash;
    ``schema_version`` and package ``versions`` are filled in when absent.
    """
    return write_table(path, records_to_table(records), metadata)


def read_metadata(path: PathLike) -> dict[str, Any]:
    """The artifact's metadata without reading its rows."""
    raw = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in raw:
        raise ValueError(f"{path} is not an attribution artifact (no {METADATA_KEY.decode()} metadata)")
    return json.loads(raw[METADATA_KEY].decode("utf-8"))


def read_table(path: PathLike) -> tuple[pa.Table, dict[str, Any]]:
    """The artifact as an Arrow table (columns in ``SCHEMA`` order) and its metadata."""
    metadata = read_metadata(path)
    table = pq.read_table(path)
    missing = [n for n in SCHEMA.names if n not in table.column_names]
    if missing:
        raise ValueError(f"{path}: attribution artifact lacks columns {missing}")
    return table.select(SCHEMA.names).cast(SCHEMA).replace_schema_metadata(None), metadata


def read_attributions(path: PathLike) -> tuple[list[TokenAttribution], dict[str, Any]]:
    """Records (in stored order) and metadata of the artifact at ``path``."""
    table, metadata = read_table(path)
    return table_to_records(table), metadata


def sort_table(table: pa.Table, order: Sequence[str], *, allow_missing: bool = False) -> pa.Table:
    """Rows of ``table`` in the order of ``order`` (example ids).

    Raises on ids not in ``order``, on duplicate ids, and (unless ``allow_missing``) on ids of
    ``order`` absent from the table, so a merged artifact is exactly the planned example set.
    """
    position = {ex_id: i for i, ex_id in enumerate(order)}
    if len(position) != len(order):
        raise ValueError("order contains duplicate example ids")
    ids = table.column("example_id").to_pylist()
    unknown = [i for i in ids if i not in position]
    if unknown:
        raise ValueError(f"{len(unknown)} example ids are not in the order, e.g. {unknown[:3]}")
    if len(set(ids)) != len(ids):
        dupes = sorted(i for i, count in Counter(ids).items() if count > 1)
        raise ValueError(f"duplicate example ids, e.g. {dupes[:3]}")
    if not allow_missing and len(ids) != len(order):
        present = set(ids)
        missing = [i for i in order if i not in present]
        raise ValueError(f"{len(missing)} example ids are missing, e.g. {missing[:3]}")
    perm = np.argsort(np.fromiter((position[i] for i in ids), dtype=np.int64, count=len(ids)), kind="stable")
    return table.take(pa.array(perm, type=pa.int64()))


def merge_shards(
    paths: Sequence[PathLike],
    out_path: PathLike,
    order: Sequence[str],
    *,
    allow_missing: bool = False,
) -> Path:
    """Merge per-rank artifacts into one, rows in the original example ``order``.

    All shards must carry identical metadata (keep rank/world size out of it), so the merged
    file equals, byte for byte, the artifact a single process would have written.
    """
    if not paths:
        raise ValueError("merge_shards needs at least one shard")
    tables = []
    metadata: dict[str, Any] | None = None
    for p in paths:
        table, meta = read_table(p)
        if metadata is None:
            metadata = meta
        elif meta != metadata:
            diff = sorted(k for k in set(meta) | set(metadata) if meta.get(k) != metadata.get(k))
            raise ValueError(f"shard {p} has different metadata (keys {diff}) from {paths[0]}")
        tables.append(table)
    assert metadata is not None
    merged = sort_table(pa.concat_tables(tables), order, allow_missing=allow_missing)
    return write_table(out_path, merged, metadata)
