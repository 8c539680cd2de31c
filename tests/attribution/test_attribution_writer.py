from __future__ import annotations

import os

import pytest

from tokendistill.attribution.store import read_table, write_attributions
from tokendistill.attribution.writer import AttributionWriter

META = {"method": "ig", "model": "tiny", "config_hash": "h1"}
N = 10  # 5 chunks of 2


def _records(make_record):
    return [
        make_record(
            f"Q: word{i} here", [("Q:", 1.0, False), (f" word{i}", i / 3), (" here", -i)], example_id=f"id{i}"
        )
        for i in range(N)
    ]


def _dead_pid() -> int:
    for pid in range(os.getpid() + 1000, 10**7):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise RuntimeError("no free pid")


def test_resumed_run_equals_uninterrupted(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]

    full = AttributionWriter(tmp_path / "full_run", order, META, chunk_size=2)
    with full:
        for r in recs:
            full.add(r)
    reference = full.finalize(tmp_path / "full.parquet")

    run = tmp_path / "run"
    first = AttributionWriter(run, order, META, chunk_size=2)
    for r in recs[:5]:  # 2 chunks written, the 5th record only buffered
        first.add(r)
    assert sorted(p.name for p in run.glob("part-*")) == ["part-00000.parquet", "part-00001.parquet"]
    del first  # "kill": the buffered record is lost
    stale = run / f".part-00002.parquet.tmp-{_dead_pid()}-deadbeef"
    stale.write_bytes(b"half a part")

    resumed = AttributionWriter(run, order, META, chunk_size=3)
    assert resumed.pending() == order[4:]
    assert not stale.exists()
    with resumed:
        for ex_id in reversed(resumed.pending()):  # a different order of completion
            resumed.add(recs[order.index(ex_id)])
    assert resumed.complete
    out = resumed.finalize(tmp_path / "resumed.parquet")

    assert read_table(out)[0].equals(read_table(reference)[0])
    assert out.read_bytes() == reference.read_bytes()
    direct = write_attributions(tmp_path / "direct.parquet", recs, META)
    assert direct.read_bytes() == reference.read_bytes()


def test_rank_writers_then_merge_equal_single(tmp_path, make_record):
    from tokendistill.attribution.store import merge_shards

    recs = _records(make_record)
    order = [r.example_id for r in recs]
    shards = []
    for rank in range(2):
        mine = recs[rank::2]
        with AttributionWriter(tmp_path / f"rank{rank}", [r.example_id for r in mine], META, 3) as w:
            w.extend(mine)
        shards.append(w.finalize(tmp_path / f"rank{rank}.parquet"))
    merged = merge_shards(shards, tmp_path / "merged.parquet", order)
    single = write_attributions(tmp_path / "single.parquet", recs, META)
    assert merged.read_bytes() == single.read_bytes()


def test_manifest_guards_against_mixing_runs(tmp_path, make_record):
    order = [r.example_id for r in _records(make_record)]
    AttributionWriter(tmp_path / "run", order, META)
    with pytest.raises(ValueError, match="different config"):
        AttributionWriter(tmp_path / "run", order, {**META, "config_hash": "h2"})
    with pytest.raises(ValueError, match="different config"):
        AttributionWriter(tmp_path / "run", order[:-1], META)


def test_add_validation_and_missing(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]
    w = AttributionWriter(tmp_path / "run", order, META, chunk_size=4)
    w.add(recs[0])
    with pytest.raises(ValueError, match="already written"):
        w.add(recs[0])
    with pytest.raises(ValueError, match="not in this run"):
        w.add(make_record("x", [("x", 1.0)], example_id="stranger"))
    with pytest.raises(ValueError, match="missing"):
        w.finalize(tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()
    w.finalize(tmp_path / "partial.parquet", allow_missing=True)
    assert read_table(tmp_path / "partial.parquet")[0].num_rows == 1


def test_context_manager_flushes_on_error(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]
    with pytest.raises(RuntimeError), AttributionWriter(tmp_path / "run", order, META, chunk_size=100) as w:
        w.add(recs[0])
        w.add(recs[1])
        raise RuntimeError("teacher OOM")
    assert AttributionWriter(tmp_path / "run", order, META).done == {"id0", "id1"}
