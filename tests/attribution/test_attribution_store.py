from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tokendistill.attribution import store
from tokendistill.attribution.store import (
    merge_shards,
    read_attributions,
    read_metadata,
    read_table,
    write_attributions,
)

META = {"method": "saliency", "model": "tiny", "target": "teacher", "aggregation": "l2", "config_hash": "abc"}


def _records(make_record, n=5):
    out = []
    for i in range(n):
        text = f"Q: naïve café {i} ran. A:"
        pieces = [("Q:", 0.5, False), (" naïve", 0.1 * i), (" café", -1.5), (f" {i}", 2.0), (" ran", 0.25)]
        pieces += [(".", 0.0), (" A:", 1.0, False)]
        out.append(make_record(text, pieces, example_id=f"ex{i}", gold=f"g{i}", teacher_correct=i % 2 == 0))
    return out


def test_round_trip_equal(tmp_path, make_record):
    recs = _records(make_record)
    path = write_attributions(tmp_path / "attr.parquet", recs, META)
    back, meta = read_attributions(path)
    assert back == recs
    assert all(isinstance(o, tuple) for o in back[0].offsets)
    assert {k: meta[k] for k in META} == META
    assert meta["schema_version"] == store.SCHEMA_VERSION and "pyarrow" in meta["versions"]
    assert read_metadata(path) == meta
    assert pq.read_schema(path).field("scores").type == pa.list_(pa.float64())


def test_nonfinite_rows_kept_and_flagged(tmp_path, make_record):
    rec = make_record("Q: a dog", [("Q:", math.nan, False), (" a", math.inf), (" dog", 1.0)])
    assert not rec.finite
    back, _ = read_attributions(write_attributions(tmp_path / "a.parquet", [rec], META))
    assert back[0].finite is False
    assert math.isnan(back[0].scores[0]) and back[0].scores[1] == math.inf


def test_empty_artifact(tmp_path):
    back, meta = read_attributions(write_attributions(tmp_path / "e.parquet", [], META))
    assert back == [] and meta["method"] == "saliency"


def test_writes_are_deterministic(tmp_path, make_record):
    recs = _records(make_record)
    a = write_attributions(tmp_path / "a.parquet", recs, META).read_bytes()
    b = write_attributions(tmp_path / "b.parquet", recs, dict(reversed(META.items()))).read_bytes()
    assert a == b


def test_failed_write_leaves_nothing(tmp_path, make_record, monkeypatch):
    target = tmp_path / "attr.parquet"

    def half_write(table, where, **kwargs):
        with open(where, "wb") as fh:
            fh.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(store.pq, "write_table", half_write)
    with pytest.raises(OSError, match="disk full"):
        write_attributions(target, _records(make_record), META)
    assert list(tmp_path.iterdir()) == []


def test_failed_rewrite_keeps_old_artifact(tmp_path, make_record, monkeypatch):
    target = write_attributions(tmp_path / "attr.parquet", _records(make_record, 2), META)
    before = target.read_bytes()
    monkeypatch.setattr(store.pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        write_attributions(target, _records(make_record, 3), META)
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["attr.parquet"]


def test_rejects_foreign_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1]}), path)
    with pytest.raises(ValueError, match="not an attribution artifact"):
        read_attributions(path)


def test_merge_shards_equals_single_process(tmp_path, make_record):
    recs = _records(make_record, 7)
    order = [r.example_id for r in recs]
    single = write_attributions(tmp_path / "single.parquet", recs, META)
    world = 3
    shards = [write_attributions(tmp_path / f"rank{r}.parquet", recs[r::world], META) for r in range(world)]
    merged = merge_shards(shards[::-1], tmp_path / "merged.parquet", order)
    assert merged.read_bytes() == single.read_bytes()
    assert read_table(merged)[0].equals(read_table(single)[0])


def test_merge_shards_refuses_inconsistent_inputs(tmp_path, make_record):
    recs = _records(make_record, 4)
    order = [r.example_id for r in recs]
    a = write_attributions(tmp_path / "a.parquet", recs[:2], META)
    b = write_attributions(tmp_path / "b.parquet", recs[2:], {**META, "model": "other"})
    with pytest.raises(ValueError, match="different metadata"):
        merge_shards([a, b], tmp_path / "m.parquet", order)
    c = write_attributions(tmp_path / "c.parquet", recs[1:], META)
    with pytest.raises(ValueError, match="duplicate"):
        merge_shards([a, c], tmp_path / "m.parquet", order)
    with pytest.raises(ValueError, match="missing"):
        merge_shards([a], tmp_path / "m.parquet", order)
    merge_shards([a], tmp_path / "m.parquet", order, allow_missing=True)
    assert read_attributions(tmp_path / "m.parquet")[0] == recs[:2]
