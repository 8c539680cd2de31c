"""How much of what a training batch computes is padding: batches in random order against
batches grouped by length (``group_by_length``), on a task's training rows, for one model's
tokenizer and layout.

    .venv/bin/python benchmarks/padding.py                  # e-SNLI and CQA, both packaged models
    .venv/bin/python benchmarks/padding.py --tasks svamp --models tiny-causal --rows 200

Counts, not timings: each row's prompt and target tokens as the adapter encodes them, each
batch computing its size × (longest prompt + longest target) positions (an encoder-decoder model
pads prompts and targets apart; a decoder-only model pads its one sequence to the same width);
the random order is a seeded shuffle, the grouped one the trainer's sampler for the same seed.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence

import torch

from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training import build_rows
from tokendistill.training.data import ExampleRowsDataset
from tokendistill.training.sampling import length_grouped_order, token_lengths


def padding_share(order: Sequence[int], prompt: list[int], target: list[int], batch: int) -> float:
    computed = real = 0
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        computed += len(rows) * (max(prompt[i] for i in rows) + max(target[i] for i in rows))
        real += sum(prompt[i] + target[i] for i in rows)
    return 1 - real / computed


def measure(task: str, model: str, rows: int, batch: int, seed: int) -> tuple[int, float, float]:
    """(rows, random-order padding share, grouped padding share) of label-only rows."""
    _, data = load_task(TaskConfig(name=task, max_examples={"train": rows, "valid": 1, "test": 1}))
    adapter = load_adapter(
        ModelConfig(name=model), corpus=[e.text for e in data.train] + [e.label for e in data.train]
    )
    dataset = ExampleRowsDataset(build_rows(data.train, "standard"))
    items = [dataset[i] for i in range(len(dataset))]
    encoded = [adapter.encode([item[0].prompt], [item[0].target]) for item in items]
    prompt = [int(b.prompt_mask.sum()) for b in encoded]
    target = [int(b.target_mask.sum()) for b in encoded]
    shuffled = list(range(len(items)))
    random.Random(seed).shuffle(shuffled)
    grouped = length_grouped_order(token_lengths(adapter, items), batch, torch.Generator().manual_seed(seed))
    return (
        len(items),
        padding_share(shuffled, prompt, target, batch),
        padding_share(grouped, prompt, target, batch),
    )


def main(argv: Sequence[str] | None = None) -> dict[tuple[str, str], tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["esnli", "cqa"])
    parser.add_argument("--models", nargs="+", default=["minilm-encdec", "smollm2-135m"])
    parser.add_argument("--rows", type=int, default=2000, help="the task's first training rows")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"\n## Padding share of computed tokens (batch {args.batch_size}, label-only rows)\n")
    print("| task | model | rows | random order | grouped by length |")
    print("|---|---|---:|---:|---:|")
    out = {}
    for task in args.tasks:
        for model in args.models:
            n, shuffled, grouped = measure(task, model, args.rows, args.batch_size, args.seed)
            out[(task, model)] = (shuffled, grouped)
            print(f"| {task} | {model} | {n:,} | {100 * shuffled:.1f} % | {100 * grouped:.1f} % |")
    return out


if __name__ == "__main__":
    main()
