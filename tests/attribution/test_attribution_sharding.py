"""A 2-process ``accelerate launch`` run merges into what one process writes, and a run
killed with one number of processes resumes with another to the same bytes.

``accelerate launch --cpu`` starts a single process in accelerate 1.15 (several CPU ranks
need MPI), so the test launches with ``--multi_gpu`` (torchrun) and ``attribute_to_artifact``
joins the ranks over gloo because the machine has no accelerator (``default_state``).
Ranks inside one process (threads meeting at a barrier) cover the kill/resume directions
without a launch.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from tokendistill.attribution.store import read_attributions

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    torch.accelerator.is_available(), reason="launches CPU ranks; an accelerator changes the backend"
)
def test_two_process_run_equals_single_process(model_dir: Path, tmp_path: Path) -> None:
    # A single process killed after its first part: the launch resumes the rest on 2 ranks.
    with one_thread(), pytest.raises(Killed):
        shard_worker.saliency(
            shard_worker.load(model_dir), tmp_path / "two" / "resumed", FakeState(), on_progress=kill
        )
    launch = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(free_port()), str(WORKER), str(model_dir), str(tmp_path / "two"),
    ]  # fmt: skip
    # The worker's folder first (for its helpers), then whatever path chose this package.
    python_path = os.pathsep.join(p for p in (str(WORKER.parent), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": python_path}
    done = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=600)  # hang guard
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rank 1 of 2" in done.stdout and "rank 0 of 2" in done.stdout

    with one_thread():
        shard_worker.run(model_dir, tmp_path / "one", state=FakeState())

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
            torch.testing.assert_close(torch.tensor(a.scores), torch.tensor(b.scores), rtol=1e-4, atol=1e-6)
    # One example per batch: no padding differences, so the merged artifact is byte-identical.
    bytes_two = (tmp_path / "two" / "batch1" / "attributions.parquet").read_bytes()
    assert bytes_two == (tmp_path / "one" / "batch1" / "attributions.parquet").read_bytes()
    # The killed single-process run (3 examples) resumed by 2 ranks (3 + 2 examples).
    resumed = tmp_path / "two" / "resumed"
    assert sorted(p.name for p in (resumed / "parts").glob("part-*")) == [
        "part-00000.parquet",
        "part-00003.parquet",
        "part-00006.parquet",
    ]
    assert (resumed / "attributions.parquet").read_bytes() == bytes_two
