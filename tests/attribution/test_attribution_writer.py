"""The resumable, rank-aware writer: a run killed with any number of (simulated) ranks and
resumed with any other number gives the bytes of one uninterrupted process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokendistill.attribution.store import merge_shards, read_table, write_attributions
from tokendistill.attribution.writer import AttributionWriter

from .helpers import FakeState, run_ranks

META = {"method": "ig", "model": "tiny", "config_hash": "h1"}
N = 10  # 5 chunks of 2
ONE = FakeState()


def _records(make_record):
    return [
        make_record(
            f"Q: word{i} here", [("Q:", 1.0, False), (f" word{i}", i / 3), (" here", -i)], example_id=f"id{i}"
        )
        for i in range(N)
    ]


def _parts(run: Path) -> list[str]:
    return sorted(p.name for p in run.glob("part-*"))


def test_resumed_run_equals_uninterrupted(tmp_path, make_record, dead_pid):
    recs = _records(make_record)
    order = [r.example_id for r in recs]

    full = AttributionWriter(tmp_path / "full_run", order, META, chunk_size=2, state=ONE)
    with full:
        for r in recs:
            full.add(r)
    reference = full.finalize(tmp_path / "full.parquet")

    run = tmp_path / "run"
    first = AttributionWriter(run, order, META, chunk_size=2, state=ONE)
    for r in recs[:5]:  # 2 chunks written, the 5th record only buffered
        first.add(r)
    # A part is named after the position of its first example in the order.
    assert _parts(run) == ["part-00000.parquet", "part-00002.parquet"]
    del first  # "kill": the buffered record is lost
    stale = run / f".part-00004.parquet.tmp-{dead_pid}-deadbeef"
    stale.write_bytes(b"half a part")

    resumed = AttributionWriter(run, order, META, chunk_size=3, state=ONE)
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


def test_default_state_is_one_process(tmp_path, make_record):
    recs = _records(make_record)
    with AttributionWriter(tmp_path / "run", [r.example_id for r in recs], META, 4) as w:
        assert w.pending() == [r.example_id for r in recs]
        w.extend(recs)
    out = w.finalize(tmp_path / "out.parquet")
    assert out.read_bytes() == write_attributions(tmp_path / "direct.parquet", recs, META).read_bytes()


def test_rank_writers_then_merge_equal_single(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]
    shards = []
    for rank in range(2):
        mine = recs[rank::2]
        with AttributionWriter(
            tmp_path / f"rank{rank}", [r.example_id for r in mine], META, 3, state=ONE
        ) as w:
            w.extend(mine)
        shards.append(w.finalize(tmp_path / f"rank{rank}.parquet"))
    merged = merge_shards(shards, tmp_path / "merged.parquet", order)
    single = write_attributions(tmp_path / "single.parquet", recs, META)
    assert merged.read_bytes() == single.read_bytes()


def test_manifest_guards_against_mixing_runs(tmp_path, make_record):
    order = [r.example_id for r in _records(make_record)]
    AttributionWriter(tmp_path / "run", order, META, state=ONE)
    with pytest.raises(ValueError, match="different config"):
        AttributionWriter(tmp_path / "run", order, {**META, "config_hash": "h2"}, state=ONE)
    with pytest.raises(ValueError, match="different config"):
        AttributionWriter(tmp_path / "run", order[:-1], META, state=ONE)


def test_add_validation_and_missing(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]
    w = AttributionWriter(tmp_path / "run", order, META, chunk_size=4, state=ONE)
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
    with (
        pytest.raises(RuntimeError),
        AttributionWriter(tmp_path / "run", order, META, chunk_size=100, state=ONE) as w,
    ):
        w.add(recs[0])
        w.add(recs[1])
        raise RuntimeError("teacher OOM")
    assert AttributionWriter(tmp_path / "run", order, META, state=ONE).done == {"id0", "id1"}


def test_ranks_share_the_pending_ids(tmp_path, make_record):
    recs = _records(make_record)
    order = [r.example_id for r in recs]
    run = tmp_path / "run"
    with AttributionWriter(run, order, META, chunk_size=3, state=ONE) as w:
        w.extend([recs[1], recs[2], recs[6]])  # done: scattered ids, as after a multi-rank kill
    pending = [i for i in order if i not in {"id1", "id2", "id6"}]

    shares = run_ranks(3, lambda state: AttributionWriter(run, order, META, state=state).pending())
    assert shares == [pending[0:3], pending[3:5], pending[5:7]]  # contiguous, disjoint, complete

    def foreign(state: FakeState) -> None:
        writer = AttributionWriter(run, order, META, state=state)
        if state.process_index == 1:
            with pytest.raises(ValueError, match="another rank"):
                writer.add(recs[0])

    run_ranks(2, foreign)


@pytest.mark.parametrize(("killed_world", "resumed_world"), [(2, 1), (1, 2), (2, 3)])
def test_kill_with_n_ranks_resume_with_m(tmp_path, make_record, killed_world: int, resumed_world: int):
    recs = _records(make_record)
    by_id = {r.example_id: r for r in recs}
    order = [r.example_id for r in recs]
    run = tmp_path / "run"

    def killed(state: FakeState) -> None:
        writer = AttributionWriter(run, order, META, chunk_size=2, state=state)
        for ex_id in writer.pending()[:3]:  # one part written, the third record lost in the kill
            writer.add(by_id[ex_id])

    def resumed(state: FakeState) -> Path:
        with AttributionWriter(run, order, META, chunk_size=2, state=state) as writer:
            for ex_id in writer.pending():
                writer.add(by_id[ex_id])
        return writer.finalize(tmp_path / "out.parquet")

    run_ranks(killed_world, killed)
    assert len(_parts(run)) == killed_world  # one part per rank, none overwritten
    outs = run_ranks(resumed_world, resumed)
    assert outs == [tmp_path / "out.parquet"] * resumed_world
    single = write_attributions(tmp_path / "single.parquet", recs, META)
    assert outs[0].read_bytes() == single.read_bytes()
