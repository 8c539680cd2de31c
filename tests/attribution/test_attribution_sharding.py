"""Ranks of ``attribute_to_artifact`` merge into what one process writes, and a run killed
with one number of processes resumes with another to the same bytes.

The ranks here are threads of this process meeting at a barrier (``FakeState``), which
exercises the sharding, part files and merge without a process launch. Real processes under
``accelerate launch`` (gloo, torchrun) run the same code in
``tests/pipeline/test_multiprocess.py``, which also kills and resumes with another number of
processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from tokendistill.attribution.store import read_attributions
from tolerances import BATCHING, assert_close

from . import shard_worker
from .helpers import FakeState, build_adapter, run_ranks

WORKER = Path(shard_worker.__file__)


class Killed(Exception):
    """Stands for a SIGKILL: raised after a process's first part is written."""


def kill(done: int, todo: int) -> None:
    raise Killed


@contextmanager
def one_thread() -> Iterator[None]:
    """As in the workers: the thread count changes float summation order."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny seq2seq model: every (real or simulated) rank loads its own copy."""
    adapter = build_adapter("seq2seq")
    folder = tmp_path_factory.mktemp("model")
    adapter.model.save_pretrained(folder)
    adapter.tokenizer.save_pretrained(folder)
    return folder


def killed_then_resumed(model_dir: Path, folder: Path, killed_world: int, resumed_world: int) -> Path:
    """Every rank of ``killed_world`` stops after its first part of 2; ``resumed_world`` ranks finish.

    Each rank gets its own model (attribution freezes the model it runs on), loaded before
    the threads start: loading while another thread generates is not thread-safe.
    """
    adapters = [shard_worker.load(model_dir) for _ in range(max(killed_world, resumed_world))]

    def killed(state: FakeState) -> None:
        with pytest.raises(Killed):
            shard_worker.saliency(
                adapters[state.process_index], folder, state, chunk_size=2, on_progress=kill
            )

    def resumed(state: FakeState) -> Path:
        return shard_worker.saliency(adapters[state.process_index], folder, state)

    run_ranks(killed_world, killed)
    assert len(list((folder / "parts").glob("part-*.parquet"))) == killed_world
    outs = run_ranks(resumed_world, resumed)
    assert outs == [folder / "attributions.parquet"] * resumed_world
    return outs[0]


def test_simulated_ranks_kill_and_resume_with_another_world_size(model_dir: Path, tmp_path: Path) -> None:
    with one_thread():
        reference = shard_worker.saliency(shard_worker.load(model_dir), tmp_path / "reference", FakeState())
        two_then_one = killed_then_resumed(model_dir, tmp_path / "two_then_one", 2, 1)
        one_then_two = killed_then_resumed(model_dir, tmp_path / "one_then_two", 1, 2)
    assert [r.example_id for r in read_attributions(reference)[0]] == [ex.id for ex in shard_worker.EXAMPLES]
    assert two_then_one.read_bytes() == reference.read_bytes()
    assert one_then_two.read_bytes() == reference.read_bytes()


def test_ranks_merge_into_what_one_process_writes(model_dir: Path, tmp_path: Path) -> None:
    """Two ranks split the examples, each writes its part, and the merged artifact is the one
    process's: byte for byte with one example per batch, within BATCHING with batches of 3."""
    adapters = [shard_worker.load(model_dir) for _ in range(2)]
    with one_thread():
        run_ranks(2, lambda state: shard_worker.run(adapters[state.process_index], tmp_path / "two", state))
        shard_worker.run(shard_worker.load(model_dir), tmp_path / "one", FakeState())
    for name in ("batch1", "batch3"):
        two, one = tmp_path / "two" / name, tmp_path / "one" / name
        assert sorted(p.name for p in two.iterdir()) == ["attributions.parquet", "parts"]
        # One part per rank, named after its first example's position.
        assert sorted(p.name for p in (two / "parts").iterdir()) == [
            "manifest.json",
            "part-00000.parquet",
            "part-00004.parquet",
        ]
        merged, meta2 = read_attributions(two / "attributions.parquet")
        single, meta1 = read_attributions(one / "attributions.parquet")
        assert meta1 == meta2
        assert [r.example_id for r in merged] == [ex.id for ex in shard_worker.EXAMPLES]
        for a, b in zip(merged, single, strict=True):
            assert (a.tokens, a.offsets, a.content, a.target, a.teacher_answer) == (
                b.tokens, b.offsets, b.content, b.target, b.teacher_answer
            )  # fmt: skip
            assert_close(a.scores, b.scores, BATCHING, f"merged scores of {a.example_id}")
    # One example per batch: no padding differences, so the merged artifact is byte-identical.
    bytes_two = (tmp_path / "two" / "batch1" / "attributions.parquet").read_bytes()
    assert bytes_two == (tmp_path / "one" / "batch1" / "attributions.parquet").read_bytes()
