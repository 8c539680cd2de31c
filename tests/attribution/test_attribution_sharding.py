"""A 2-process ``accelerate launch`` run merges into what one process writes.

``accelerate launch --cpu`` starts a single process in accelerate 1.15 (several CPU ranks
need MPI), so the test launches with ``--multi_gpu`` (torchrun) and ``attribute_sharded``
joins the ranks over gloo because the machine has no accelerator (``default_state``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tokendistill.attribution.store import read_attributions

from . import shard_worker
from .helpers import build_adapter

WORKER = Path(shard_worker.__file__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    torch.accelerator.is_available(), reason="launches CPU ranks; an accelerator changes the backend"
)
def test_two_process_run_equals_single_process(tmp_path: Path) -> None:
    adapter = build_adapter("seq2seq")
    model_dir = tmp_path / "model"
    adapter.model.save_pretrained(model_dir)
    adapter.tokenizer.save_pretrained(model_dir)
    launch = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(free_port()), str(WORKER), str(model_dir), str(tmp_path / "two"),
    ]  # fmt: skip
    # The worker's folder first (for its helpers), then whatever path chose this package.
    python_path = os.pathsep.join(p for p in (str(WORKER.parent), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": python_path}
    done = subprocess.run(launch, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "rank 1 of 2" in done.stdout and "rank 0 of 2" in done.stdout

    one_process = SimpleNamespace(
        process_index=0, num_processes=1, is_main_process=True, wait_for_everyone=lambda: None
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers: thread count changes float summation order
    try:
        shard_worker.run(model_dir, tmp_path / "one", state=one_process)
    finally:
        torch.set_num_threads(threads)

    for name in ("batch1", "batch3"):
        two, one = tmp_path / "two" / name, tmp_path / "one" / name
        assert sorted(p.name for p in two.iterdir()) == [
            "attributions.parquet",
            "shard-0.parquet",
            "shard-1.parquet",
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
