"""Wall time per stage of one pipeline run on 1 process and on 2 processes (this CPU).

The same config (by default a real-data subset: 512 e-SNLI training rows, the packaged
SmolLM2-135M-Instruct teacher used as it is (evaluated and generating its answers; fine-tuning it
would triple the time), saliency attribution, one MiniLM student) runs twice into two run
directories: once as `tokendistill run`, once under `accelerate launch` with 2 CPU
processes (`--multi_gpu` + ACCELERATE_USE_CPU=1, gloo), each process with 1 torch thread.
The stage timings come from each run's metrics.json; the table prints their ratio.

    python benchmarks/process_scaling.py                 # the e-SNLI subset (~15 min on 2 cores)
    python benchmarks/process_scaling.py --config X.yaml --set KEY=VALUE ...   # any other config
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBSET = (
    "task.max_examples={train: 512, valid: 64, test: 256}",
    "seeds=[0]",
    "teacher.finetune=false",
    "attribution.methods=[saliency]",
    "attribution.options={}",
    "attribution.batch_size=8",
    "student_training.epochs=1",
    "students=[{name: standard, mode: standard}]",
    "analysis.faithfulness_examples=0",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", type=Path, default=None, help="default: the e-SNLI preset's subset")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--run-root", type=Path, default=ROOT / "runs" / "process_scaling")
    args = parser.parse_args(argv)
    if args.config is None:
        args.config, args.overrides = ROOT / "configs" / "offline" / "esnli.yaml", [*SUBSET, *args.overrides]
    return args


def command(config: Path, overrides: list[str], run_dir: Path, processes: int) -> list[str]:
    sets = [a for o in [*overrides, f"run_dir={run_dir}"] for a in ("--set", o)]
    run = ["-m", "tokendistill", "run", str(config), *sets]
    if processes == 1:
        return [sys.executable, *run]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_machines", "1"]
    return [*launch, "--num_processes", str(processes), "--main_process_port", port, *run]


def timed_run(args: argparse.Namespace, processes: int) -> tuple[dict[str, float], float]:
    run_dir = args.run_root / f"{processes}-process"
    shutil.rmtree(run_dir, ignore_errors=True)  # time the work, not the cache
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    subprocess.run(command(args.config, args.overrides, run_dir, processes), env=env, check=True)
    wall = time.perf_counter() - start
    return json.loads((run_dir / "metrics.json").read_text())["stage_seconds"], wall


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    one, one_wall = timed_run(args, 1)
    two, two_wall = timed_run(args, 2)
    lines = ["| stage | 1 process (s) | 2 processes (s) | ratio |", "|---|---:|---:|---:|"]
    for stage in one:
        lines.append(f"| {stage} | {one[stage]:.1f} | {two[stage]:.1f} | {two[stage] / one[stage]:.2f} |")
    lines.append(f"| whole command (wall) | {one_wall:.1f} | {two_wall:.1f} | {two_wall / one_wall:.2f} |")
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
