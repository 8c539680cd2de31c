"""What scoring answer choices costs: every (prompt, choice) pair run whole, against each
prompt run once for all its choices (``models.answer_scores``: a decoder-only model's
key/value cache, an encoder-decoder model's encoder states), against the floor of one forward
over each prompt alone. Rank evaluation and the faithfulness analyses score this way.

    .venv/bin/python benchmarks/answer_scoring.py                        # SmolLM2-135M, chat, e-SNLI
    .venv/bin/python benchmarks/answer_scoring.py --model minilm-encdec --prompt-format plain

Both sides run in this process on the same prompts, in the same batches, after one untimed
warm-up pass; each figure is the median of ``--repeat`` passes. The two ways' log-probabilities
are compared too (largest absolute difference), since one must stand for the other.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.answer_scores import answer_logprobs
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.tasks import TaskConfig, load_task


@torch.no_grad()
def pairwise(adapter: ModelAdapter, prompts: Sequence[str], choices: Sequence[Sequence[str]]) -> list[float]:
    """Every (prompt, choice) pair as its own row of one batch: how rank evaluation scored before."""
    pairs = [(p, c) for p, group in zip(prompts, choices, strict=True) for c in group]
    batch = adapter.encode([p for p, _ in pairs], [c for _, c in pairs]).to(adapter.device)
    return adapter.target_logprobs(batch).sum(-1).tolist()


def shared(adapter: ModelAdapter, prompts: Sequence[str], choices: Sequence[Sequence[str]]) -> list[float]:
    return [total for group in answer_logprobs(adapter, prompts, choices) for total, _ in group]


@torch.no_grad()
def floor(adapter: ModelAdapter, prompts: Sequence[str], _choices: Sequence[Sequence[str]]) -> list[float]:
    """One forward over the prompts alone (the encoder alone for an encoder-decoder model)."""
    batch = adapter.encode(prompts).to(adapter.device)
    if adapter.architecture == "causal":
        adapter.model(input_ids=batch.prompt_ids, attention_mask=batch.prompt_mask, logits_to_keep=1)
    else:
        adapter.model.get_encoder()(input_ids=batch.prompt_ids, attention_mask=batch.prompt_mask)
    return []


Way = Callable[[ModelAdapter, Sequence[str], Sequence[Sequence[str]]], list[float]]
WAYS: dict[str, Way] = {"pairwise": pairwise, "shared prompt": shared, "floor": floor}


def timed(way: Way, adapter: ModelAdapter, batches: list[tuple[list[str], list[tuple[str, ...]]]]) -> float:
    start = time.perf_counter()
    for prompts, choices in batches:
        way(adapter, prompts, choices)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="the model spec")
    parser.add_argument("--prompt-format", default="chat", choices=["plain", "chat"])
    parser.add_argument("--task", default="esnli", help="a task with answer choices")
    parser.add_argument("--n", type=int, default=64, help="prompts (the task's first validation rows)")
    parser.add_argument("--batch-size", type=int, default=16, help="prompts per batch")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (median)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    _, data = load_task(TaskConfig(name=args.task, max_examples={"valid": args.n}))
    examples = data.valid[: args.n]
    choices = data.answer_choices("valid")
    if choices is None:
        raise SystemExit(f"task {args.task!r} has open answers: nothing to rank")
    config = ModelConfig(name=args.model, prompt_format=args.prompt_format)
    adapter = load_adapter(config, corpus=[e.text for e in examples], device=torch.device("cpu"))
    batches = [
        (
            [e.text for e in examples[i : i + args.batch_size]],
            [choices[e.id] for e in examples[i : i + args.batch_size]],
        )
        for i in range(0, len(examples), args.batch_size)
    ]
    gap = max(
        abs(a - b)
        for prompts, group in batches
        for a, b in zip(pairwise(adapter, prompts, group), shared(adapter, prompts, group), strict=True)
    )
    seconds = {}
    for name, way in WAYS.items():
        timed(way, adapter, batches[:1])  # warm-up
        seconds[name] = statistics.median(timed(way, adapter, batches) for _ in range(args.repeat))
    n_choices = sum(len(choices[e.id]) for e in examples) / len(examples)
    threads = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    shape = f"{len(examples)} {args.prompt_format} prompts × {n_choices:.1f} choices"
    print(f"\n## Answer scoring ({args.model}, {args.task}, {shape}, {threads})\n")
    print("| way | ms / prompt | × floor | × shared prompt |")
    print("|---|---:|---:|---:|")
    for name, s in seconds.items():
        per = 1000 * s / len(examples)
        print(f"| {name} | {per:.1f} | {s / seconds['floor']:.2f} | {s / seconds['shared prompt']:.2f} |")
    print(f"\nlargest |pairwise − shared prompt| log-probability: {gap:.2e}")
    return {**seconds, "gap": gap}


if __name__ == "__main__":
    main()
