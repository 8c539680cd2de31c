"""Shared pieces of the pipeline tests: a shrunken config, runs in and out of process, kills."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn

import pytest
import torch
import yaml
from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import PipelineResult, run_pipeline

from .killing_run import kill_at

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "tokendistill" / "demo.yaml"
N_TRAIN = 32
CHUNK = 4  # attribution examples per part file: N_TRAIN / CHUNK parts to kill between


def small_config(
    run_dir: Path, *, teacher: str = "tiny-causal", student: str = "tiny-causal"
) -> dict[str, Any]:
    """The demo shrunk to seconds: 32 training examples, 1-layer models of width 32, 2 epochs,
    two attribution methods, a standard and a multitask student, one seed."""
    training = {
        "epochs": 2,
        "learning_rate": 3.0e-3,
        "batch_size": 8,
        "eval_mode": "rank",
    }
    return {
        "title": "pipeline test",
        "tracking": {"report_to": "none"},
        "run_dir": str(run_dir),
        "seeds": [0],
        "task": {"name": "synthetic", "synthetic": {"n_train": N_TRAIN, "n_valid": 16, "n_test": 32}},
        "teacher": {
            "model": {"name": teacher, "tiny_size": 32, "tiny_layers": 1},
            "training": {**training, "eval_steps": 4},
        },
        "attribution": {"methods": ["saliency", "random"], "chunk_size": CHUNK},
        "selection": {"k": 3, "unit": "word", "filters": ["stopwords", "punctuation"], "order": "score"},
        "student_model": {"name": student, "tiny_size": 32, "tiny_layers": 1},
        # A checkpoint every 2 of the 8 steps: a kill can land between checkpoints.
        "student_training": {**training, "eval_steps": 2},
        "students": [
            {"name": "standard", "mode": "standard"},
            {
                "name": "ours-saliency",
                "mode": "multitask",
                "rationale": {"source": "attribution", "method": "saliency"},
            },
        ],
        "analysis": {"k_sweep": [1, 3], "faithfulness_examples": 8, "heatmaps": 2},
    }


def write_config(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_in_process(data: dict[str, Any]) -> tuple[PipelineResult, str]:
    """Run the whole pipeline here; returns the result and what it printed."""
    out = io.StringIO()
    result = run_pipeline(validate_config(data, Config), console=Console(file=out, width=200))
    return result, out.getvalue()


def comparable_metrics(run_dir: Path) -> dict[str, Any]:
    """metrics.json without what legitimately differs between two runs of one config: the
    stage timings and training profiles, and the run directory inside the config echo."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics.pop("stage_seconds")
    metrics.pop("stage_profiles")
    metrics["config_text"] = metrics["config_text"].replace(str(run_dir), "<run_dir>")
    return metrics


def subprocess_env() -> dict[str, str]:
    """The child computes like this process: the thread count decides the order of float
    sums, so a 2-thread child and a 1-thread test process train (slightly) different models."""
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": str(torch.get_num_threads()),
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tokendistill.cli", *args]


KILLING_RUN = Path(__file__).with_name("killing_run.py")
RECORDING_RUN = Path(__file__).with_name("recording_run.py")


def run_and_kill(config_path: Path, run_dir: Path, pattern: str, count: int, timeout: float = 600.0) -> None:
    """``tokendistill run`` in a child that SIGKILLs itself as it is about to publish the
    ``count``-th file matching ``run_dir / pattern`` (see killing_run.py): a deterministic kill.

    The child is a fork of this process, not a new interpreter: it starts with this process's
    imports (a new one spends ~9 s of CPU importing torch and transformers) and computes like
    it (same thread count). Fails if the run ends another way (finished, crashed) or takes
    longer than ``timeout`` (a hang guard).
    """
    log_path = run_dir.parent / f"{run_dir.name}.log"
    pid = os.fork()
    if pid == 0:
        _killed_child(log_path, str(run_dir / pattern), count, ["run", str(config_path)])
    status = _wait(pid, timeout)
    if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
        pytest.fail(
            f"the run was not killed at {pattern} #{count} (wait status {status}):\n"
            + log_path.read_text()[-3000:]
        )


def _killed_child(log_path: Path, pattern: str, count: int, args: list[str]) -> NoReturn:
    """The forked child: output to ``log_path``, the kill armed, the command run; it never
    returns into the test process's code (``os._exit``)."""
    code = 70
    try:
        log = log_path.open("w", buffering=1)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        kill_at(pattern, count)
        from tokendistill.cli import app

        app(args, prog_name="tokendistill")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _wait(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the killed run did not end within {timeout:.0f} s (a hang)")
        time.sleep(0.05)


def assert_same_metrics_as(baseline: Path, resumed: Path) -> None:
    """The resumed run's metrics equal the uninterrupted run's, bit for bit (timings aside)."""
    assert comparable_metrics(resumed) == comparable_metrics(baseline)


def launch(args: list[str], run_dir: Path, processes: int = 2, timeout: float = 600.0) -> int:
    """``accelerate launch`` of ``python ARGS...`` on ``processes`` CPU processes; returns the
    exit status, the output in ``<run_dir>.launch.log``.

    ``accelerate launch --cpu --num_processes N`` starts one process unless an MPI hostfile is
    given; N CPU processes come from the torchrun-based launcher (``--multi_gpu``) with
    ``ACCELERATE_USE_CPU=1`` (gloo), as documented in the README.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", str(processes), "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(port),
        *args,
    ]  # fmt: skip
    env = {**subprocess_env(), "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    log = run_dir.parent / f"{run_dir.name}.launch.log"
    with log.open("w") as out:
        return subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout
        ).returncode
