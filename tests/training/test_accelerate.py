"""Two CPU processes under ``accelerate launch`` train, stay in sync, and write one result.

``accelerate launch --cpu --num_processes 2`` starts ONE process unless an MPI hostfile is
given (accelerate 1.15 sends --cpu to its simple launcher). Two CPU processes come from the
torchrun-based launcher (``--multi_gpu``) with ``ACCELERATE_USE_CPU=1``, which makes the
Trainer's PartialState pick MULTI_CPU with the gloo backend.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("accelerate_script.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HAS_LAUNCH = importlib.util.find_spec("accelerate.commands.launch") is not None


@pytest.mark.skipif(not HAS_LAUNCH, reason="accelerate launch is not installed")
def test_two_process_cpu_run_trains(toy, tmp_path):
    tokenizer_dir = tmp_path / "tokenizer"
    toy.toy_tokenizer().save_pretrained(tokenizer_dir)
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(_free_port()),
        str(SCRIPT), str(out), str(tokenizer_dir),
    ]  # fmt: skip
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
    )  # a hang guard only
    assert done.returncode == 0, done.stderr[-3000:]

    ranks = json.loads((out / "ranks.json").read_text())
    assert ranks["num_processes"] == 2
    first, second = ranks["checksums"]
    assert first == pytest.approx(second, abs=1e-6)  # DDP kept both replicas identical
    # The loss normaliser of every step is the token count of both ranks together.
    rank0, rank1 = ranks["step_counts"]
    assert len(rank0) == len(rank1) == 60
    for (local0, norm0), (local1, norm1) in zip(rank0, rank1, strict=True):
        assert norm0 == norm1 == [a + b for a, b in zip(local0, local1, strict=True)]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["global_step"] == 60 and [h["step"] for h in metrics["valid"]["history"]] == [30, 60]
    assert metrics["test"] == ranks["test"] and metrics["test"]["n"] == len(toy.TEST)
    assert metrics["valid"]["best_accuracy"] == 1.0
    assert len((out / "test_predictions.jsonl").read_text().splitlines()) == len(toy.TEST)
