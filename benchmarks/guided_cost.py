"""What guidance costs: time and peak memory of one training step of every guided mode against
the standard student's, side by side in one process on the same rows.

    .venv/bin/python benchmarks/guided_cost.py                          # SmolLM2-135M, 8 e-SNLI rows
    .venv/bin/python benchmarks/guided_cost.py --model tiny-causal --task synthetic --batch 16

Each mode builds its rows and loss terms as the pipeline does (``build_rows``,
``loss_terms``), its batch through the training collator, and one step is: the forward the
trainer runs, every loss term (the guided ones run their own forwards and, for the gradient
modes, a double backward), the backward and an AdamW step. One untimed step first (the
optimizer's state), then the median of ``--steps`` timed steps. The marks are the first
``--k`` words of each row's content (what they mark does not change the cost). Peak memory is
measured as ``memory.py`` does (CUDA's peak on a GPU, the sampled resident set on a CPU).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.rationales.marks import Marks
from tokendistill.tasks import Example, TaskConfig, load_task
from tokendistill.training.data import RowCollator
from tokendistill.training.losses import task_token_counts
from tokendistill.training.modes import TermInputs, build_rows, get_mode, mode_options
from tokendistill.training.rows import TASK_NAMES
from tokendistill.training.step import step_loss

MODES = ("standard", "guided-consistency", "guided-gradient", "guided-matching")


def _memory_script():
    """``memory.py`` beside this file: its peak-memory sampler and its table."""
    path = Path(__file__).with_name("memory.py")
    spec = importlib.util.spec_from_file_location("benchmark_memory_for_guided", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


memory = _memory_script()


def first_words(examples: Sequence[Example], k: int) -> dict[str, Marks]:
    """The first ``k`` words of each example's content marked, its other words unmarked."""
    out = {}
    for ex in examples:
        words = []
        for start, end in ex.content_spans:
            pos = start
            for word in ex.text[start:end].split():
                begin = ex.text.index(word, pos)
                words.append((begin, begin + len(word)))
                pos = begin + len(word)
        out[ex.id] = Marks(
            tuple(words[:k]), tuple(1 / min(k, len(words)) for _ in words[:k]), tuple(words[k:])
        )
    return out


def step_run(spec: str, mode: str, examples: Sequence[Example], k: int, steps: int, out: list):
    def run(timed) -> None:
        adapter = load_adapter(ModelConfig(name=spec), corpus=[e.text for e in examples], train=True)
        model = adapter.model.to(memory.device()).train()
        rationales = {e.id: e.label for e in examples}
        rows = build_rows(examples, mode, rationales=rationales)
        options = mode_options(mode)
        terms = get_mode(mode).loss_terms(options, TermInputs(adapter, rows, marks=first_words(examples, k)))
        inputs = RowCollator(adapter, terms)(tuple((r,) for r in rows))
        inputs = {key: value.to(memory.device()) for key, value in inputs.items()}
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        tokens = task_token_counts(inputs["target_mask"], inputs["row_task"], len(TASK_NAMES))

        def step() -> None:
            step_loss(adapter, terms, inputs, tokens, 0, True).loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        step()  # creates the optimizer's state
        times = []

        def measured() -> None:
            for _ in range(steps):
                start = time.perf_counter()
                step()
                times.append(time.perf_counter() - start)

        timed(measured)
        out.append(statistics.median(times))

    return run


def main(argv: Sequence[str] | None = None) -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="the student model spec")
    parser.add_argument("--task", default="esnli", help="the task whose first training rows are used")
    parser.add_argument("--batch", type=int, default=8, help="rows in the step")
    parser.add_argument("--k", type=int, default=5, help="words marked per row")
    parser.add_argument("--steps", type=int, default=3, help="timed steps (median)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    _, data = load_task(TaskConfig(name=args.task, max_examples=args.batch))
    examples = data.train[: args.batch]
    figures: dict[str, tuple[float, float]] = {}
    for mode in MODES:
        seconds: list[float] = []
        row = memory.measure(
            "step", mode, args.steps, step_run(args.model, mode, examples, args.k, args.steps, seconds)
        )
        figures[mode] = (seconds[0], row.mib)
    setup = f"{memory.device()}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    print(f"\n## Guidance cost ({args.model}, {args.task}, {args.batch} rows, {setup})\n")
    print("| mode | s / step | × standard | peak memory (MiB) | × standard |")
    print("|---|---:|---:|---:|---:|")
    base_s, base_mib = figures["standard"]
    for mode, (s, mib) in figures.items():
        print(f"| {mode} | {s:.3f} | {s / base_s:.2f} | {mib:.0f} | {mib / max(base_mib, 1e-9):.2f} |")
    return figures


if __name__ == "__main__":
    main()
