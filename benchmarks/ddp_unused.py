"""What DDP's unused-parameter search costs a training step: the same training run on 2 CPU
processes (``accelerate launch``, gloo) with ``find_unused_parameters`` as the probe decides
(``training/unused.py``: no search, none of our students has an unused parameter) and forced on
(what the Trainer asked for before the probe).

    .venv/bin/python benchmarks/ddp_unused.py                        # MiniLM enc-dec, e-SNLI
    .venv/bin/python benchmarks/ddp_unused.py --model "smollm2-135m:layers=6"

Both sides run in the same two processes on the same rows, from the same initial weights,
alternating, ``--repeat`` times each; a side's figure is the median of its runs' training-loop
time (the profile's total less evaluation, checkpoints, test prediction and the final save),
with ``step_overhead.py``'s configuration and measure. The launched workers train into
folders under one temporary folder of this process and write rank 0's figures to a JSON file
there, which this process prints.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SIDES = ("probed (no search)", "search forced")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm-encdec")
    parser.add_argument("--task", default="esnli")
    parser.add_argument("--rows", type=int, default=256, help="training rows (the task's first)")
    parser.add_argument("--batch-size", type=int, default=16, help="examples per step over both processes")
    parser.add_argument("--steps", type=int, default=16, help="optimizer steps per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median)")
    parser.add_argument("--worker-output", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def launch(argv: Sequence[str], output: Path) -> None:
    """This script again under ``accelerate launch`` on 2 CPU processes, one thread each."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_machines", "1"]
    command += ["--num_processes", "2", "--main_process_port", port, __file__, *argv]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1", "TOKENIZERS_PARALLELISM": "false"}
    subprocess.run([*command, "--worker-output", str(output)], env=env, check=True)


def run_seconds(
    adapter, weights: dict, rows, task, data, args: argparse.Namespace, folder: Path, search: bool
) -> float:
    """One run into ``folder`` (shared by the processes), with the search forced on where
    ``search``; its loop time on the main process, which alone writes the profile, else 0."""
    import tokendistill.training.run as training_run
    from step_overhead import loop_config, loop_seconds  # this script's folder: launched as a script
    from tokendistill.distributed import default_state
    from tokendistill.training import train_model

    adapter.model.load_state_dict(weights)
    probe = training_run.search_unused
    if search:
        training_run.search_unused = lambda *_: True
    config = loop_config(args.steps, args.batch_size)
    try:
        result = train_model(adapter, None, rows, data.valid, data.test, task, config, folder, quiet=True)
    finally:
        training_run.search_unused = probe
    if not default_state().is_main_process:
        return 0.0
    return loop_seconds(json.loads(Path(result.profile_path).read_text()))


def work(args: argparse.Namespace) -> None:
    import torch

    from tokendistill.distributed import default_state
    from tokendistill.models.build import load_adapter
    from tokendistill.models.config import ModelConfig
    from tokendistill.tasks import TaskConfig, load_task
    from tokendistill.training import build_rows

    torch.set_num_threads(1)
    sizes = {"train": args.rows, "valid": 8, "test": 8}
    task, data = load_task(TaskConfig(name=args.task, max_examples=sizes))
    texts = [t for ex in data.train for t in (ex.text, ex.label)]
    adapter = load_adapter(ModelConfig(name=args.model), corpus=texts, seed=0, train=True)
    weights = copy.deepcopy(adapter.model.state_dict())
    rows = build_rows(data.train, "standard")
    seconds: dict[str, list[float]] = {side: [] for side in SIDES}
    for i in range(args.repeat):
        for search, side in enumerate(SIDES):
            folder = args.worker_output.parent / f"run-{i}-{search}"
            seconds[side].append(run_seconds(adapter, weights, rows, task, data, args, folder, bool(search)))
    if default_state().is_main_process:
        args.worker_output.write_text(json.dumps(seconds), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    if args.worker_output is not None:
        work(args)
        return {}
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "seconds.json"
        launch(list(argv if argv is not None else sys.argv[1:]), output)
        seconds = json.loads(output.read_text(encoding="utf-8"))
    medians = {side: statistics.median(values) for side, values in seconds.items()}
    base = medians[SIDES[0]]
    setup = f"{args.rows} rows, batch {args.batch_size} over 2 processes, {args.steps} steps, 1 thread each"
    print(f"\n## DDP's unused-parameter search ({args.model}, {args.task}, {setup})\n")
    print(f"| find_unused_parameters | s / step (median of {args.repeat}) | × probed |")
    print("|---|---:|---:|")
    for side, value in medians.items():
        print(f"| {side} | {value / args.steps:.3f} | {value / base:.3f} |")
    return medians


if __name__ == "__main__":
    main()
