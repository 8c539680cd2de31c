"""How much of what a training batch computes is padding: batches in random order against
batches grouped by length (``group_by_length``), on a task's training rows, for one model's
tokenizer and layout.

    .venv/bin/python benchmarks/padding.py                  # e-SNLI and CQA, both packaged models
    .venv/bin/python benchmarks/padding.py --tasks esnli --mode multitask      # DSS-PaLM rows
    .venv/bin/python benchmarks/padding.py --tasks svamp --models tiny-causal --rows 200

Counts, not timings: each row's prompt and target tokens as the adapter encodes them; a batch
is one padded batch per task (as the trainer collates it), each computing its size × (longest
prompt + longest target) positions for an encoder-decoder model (which pads prompts and targets
apart) or its size × longest prompt + target for a decoder-only one; the random order is a
seeded shuffle, the grouped ones the trainer's sampler for the same seed: by length alone (as it
was) and keeping the answer classes' mix in every batch (as it is, where the answers are a few
classes). Next to the padding, each order's mean share of a full batch held by its most
frequent label: grouping by length alone skews it where the label shows in the length (e-SNLI's
does).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Sequence

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training import build_rows
from tokendistill.training.data import ExampleRowsDataset
from tokendistill.training.rows import TrainingRow
from tokendistill.training.sampling import answer_classes, batch_widths, length_grouped_order

Tokens = list[tuple[str, int, int]]  # an item's rows: (task, prompt tokens, target tokens)


def padding_share(order: Sequence[int], items: Sequence[Tokens], batch: int, apart: bool) -> float:
    computed = real = 0
    for start in range(0, len(order), batch):
        rows = [row for i in order[start : start + batch] for row in items[i]]
        for task in {task for task, _, _ in rows}:
            part = [(p, t) for name, p, t in rows if name == task]
            widest = (
                max(p for p, _ in part) + max(t for _, t in part) if apart else max(p + t for p, t in part)
            )
            computed += len(part) * widest
            real += sum(p + t for p, t in part)
    return 1 - real / computed


def label_share(order: Sequence[int], labels: Sequence[str], batch: int) -> float:
    """The mean share of a full batch that its most frequent label holds."""
    shares = [
        max(Counter(labels[i] for i in order[start : start + batch]).values()) / batch
        for start in range(0, len(order) - batch + 1, batch)
    ]
    return sum(shares) / len(shares)


def row_tokens(adapter: ModelAdapter, items: Sequence[tuple[TrainingRow, ...]]) -> list[Tokens]:
    out = []
    for item in items:
        batch = adapter.encode([r.prompt for r in item], [r.target for r in item])
        pairs = zip(batch.prompt_mask.sum(-1).tolist(), batch.target_mask.sum(-1).tolist(), strict=True)
        out.append([(r.task, p, t) for r, (p, t) in zip(item, pairs, strict=True)])
    return out


def measure(task: str, model: str, rows: int, batch: int, seed: int, mode: str) -> dict[str, float]:
    """Padding and label shares of ``mode``'s rows (``standard``: label-only; ``multitask``:
    predict and explain rows with the task's LLM rationales, DSS-PaLM), random order and
    grouped."""
    two_task = mode == "multitask"
    config = TaskConfig(
        name=task, llm_rationales=two_task, max_examples={"train": rows, "valid": 1, "test": 1}
    )
    _, data = load_task(config)
    adapter = load_adapter(
        ModelConfig(name=model), corpus=[e.text for e in data.train] + [e.label for e in data.train]
    )
    rationales = get_source("llm").rationales(SourceRequest(data.train, "train")) if two_task else None
    dataset = ExampleRowsDataset(build_rows(data.train, mode, rationales=rationales))
    items = [dataset[i] for i in range(len(dataset))]
    tokens = row_tokens(adapter, items)
    apart = adapter.architecture == "seq2seq"
    shuffled = list(range(len(items)))
    random.Random(seed).shuffle(shuffled)
    widths = batch_widths(adapter, items)
    grouped = length_grouped_order(widths, batch, torch.Generator().manual_seed(seed))
    mixed = length_grouped_order(widths, batch, torch.Generator().manual_seed(seed), answer_classes(items))
    labels = [{e.id: e.label for e in data.train}[item[0].example_id] for item in items]
    return {
        "items": len(items),
        "random": padding_share(shuffled, tokens, batch, apart),
        "grouped": padding_share(grouped, tokens, batch, apart),
        "mixed": padding_share(mixed, tokens, batch, apart),
        "random_labels": label_share(shuffled, labels, batch),
        "grouped_labels": label_share(grouped, labels, batch),
        "mixed_labels": label_share(mixed, labels, batch),
    }


def main(argv: Sequence[str] | None = None) -> dict[tuple[str, str], tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["esnli", "cqa"])
    parser.add_argument("--models", nargs="+", default=["minilm-encdec", "smollm2-135m"])
    parser.add_argument("--mode", choices=["standard", "multitask"], default="standard")
    parser.add_argument("--rows", type=int, default=2000, help="the task's first training rows")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"\n## Padding share of computed tokens (batch {args.batch_size}, {args.mode} rows)\n")
    print(
        "| task | model | examples | random order | by length | by length, classes mixed "
        "| largest label's share: random | by length | classes mixed |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    out = {}
    for task in args.tasks:
        for model in args.models:
            f = measure(task, model, args.rows, args.batch_size, args.seed, args.mode)
            out[(task, model)] = (f["random"], f["mixed"])
            shares = " | ".join(f"{100 * f[k]:.1f} %" for k in ("random", "grouped", "mixed"))
            labels = " | ".join(f"{f[k + '_labels']:.3f}" for k in ("random", "grouped", "mixed"))
            print(f"| {task} | {model} | {f['items']:,} | {shares} | {labels} |")
    return out


if __name__ == "__main__":
    main()
