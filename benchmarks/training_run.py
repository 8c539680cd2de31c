"""A short real training run of one model on one task (default: MiniLM encoder-decoder on
e-SNLI, gold labels); also the pilot that picks the offline presets' student on validation.

Trains on the first N train rows, evaluates validation accuracy every ``--eval-steps`` (rank
classification over the task's answers by default: entailment / neutral / contradiction, or
each CommonsenseQA question's five choices), keeps the best checkpoint, predicts the test
rows once with it, and prints a markdown snippet for benchmarks/RESULTS.md. Minutes on a CPU,
not hours: figures are far below the paper's, which trains on full datasets.

Data: ``$TOKENDISTILL_DATA`` or ``<repo>/../shared/data`` (the DSS layout).

    .venv/bin/python benchmarks/training_run.py --output-dir runs/training_run
    .venv/bin/python benchmarks/training_run.py --task cqa --model "smollm2-135m:layers=6"
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import torch

from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training import TrainingConfig, build_rows, train_model


def random_words(examples, seed: int, k: int = 5) -> dict[str, str]:
    """k words of each example's text in their order, drawn per example: a rationale as short
    as the tier's random-5 and ours (top-5 words), without a teacher's attributions."""
    out = {}
    for ex in examples:
        words = ex.text.split()
        rng = random.Random(f"{seed}:{ex.id}")
        out[ex.id] = " ".join(words[i] for i in sorted(rng.sample(range(len(words)), min(k, len(words)))))
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=["esnli", "anli1", "cqa", "svamp"], default="esnli")
    parser.add_argument("--model", default="minilm-encdec")
    parser.add_argument("--mode", choices=["standard", "multitask"], default="standard")
    parser.add_argument(
        "--rationale",
        choices=["llm", "random-words"],
        default="llm",
        help="multitask: the task's LLM (PaLM) rationales, or 5 random words of each input",
    )
    parser.add_argument("--train-rows", type=int, default=2000)
    parser.add_argument("--valid-rows", type=int, default=300)
    parser.add_argument("--test-rows", type=int, default=1000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--eval-steps", type=int, default=40)
    parser.add_argument("--eval-mode", choices=["rank", "generate"], default="rank")
    parser.add_argument("--group-by-length", action="store_true", help="batches of similar lengths")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=16, help="for --eval-mode generate")
    parser.add_argument("--output-dir", type=Path, default=Path("runs/training_run"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    task_config = TaskConfig(
        name=args.task,
        llm_rationales=args.mode == "multitask",
        max_examples={"train": args.train_rows, "valid": args.valid_rows, "test": args.test_rows},
    )
    task, data = load_task(task_config)
    texts = [text for ex in data.train for text in (ex.text, ex.label)]  # a tiny model's vocabulary
    loaded = load_adapter(ModelConfig(name=args.model), corpus=texts, seed=args.seed, train=True)
    rationales = None
    if args.mode == "multitask":
        rationales = (
            random_words(data.train, args.seed)
            if args.rationale == "random-words"
            else get_source("llm").rationales(SourceRequest(data.train, "train"))
        )
    rows = build_rows(data.train, args.mode, rationales=rationales)
    config = TrainingConfig(
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        warmup=0.1,
        weight_decay=0.01,
        batch_size=args.batch_size,
        eval_batch_size=32,
        eval_steps=args.eval_steps,
        eval_mode=args.eval_mode,
        group_by_length=args.group_by_length,
        max_new_tokens=args.max_new_tokens,
        logging_steps=20,
    )
    result = train_model(
        loaded,
        None,
        rows,
        data.valid,
        data.test,
        task,
        config,
        args.output_dir,
        mode=args.mode,
        seed=args.seed,
    )
    figures = {
        "task": args.task,
        "model": args.model,
        "parameters": sum(p.numel() for p in loaded.model.parameters()),
        "mode": args.mode,
        "train_rows": len(data.train),
        "valid_rows": len(data.valid),
        "test_rows": len(data.test),
        "optimizer_steps": result.global_step,
        "best_step": result.best_step,
        "valid_history": result.valid_history,
        "best_valid_accuracy": result.best_valid_accuracy,
        "test_accuracy": result.test_metrics["accuracy"],
        "test_majority_baseline": _majority_share(data.test),
        "threads": torch.get_num_threads(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "output_dir": str(args.output_dir),
    }
    (args.output_dir / "benchmark.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(markdown_snippet(figures, argv if argv is not None else sys.argv[1:]))
    return figures


def _majority_share(examples) -> float:
    counts = Counter(ex.label for ex in examples)
    return max(counts.values()) / len(examples)


def markdown_snippet(figures: dict, argv: list[str]) -> str:
    command = " ".join([".venv/bin/python benchmarks/training_run.py", *map(shlex.quote, argv)])
    history = ", ".join(f"{h['step']}: {h['accuracy']:.3f}" for h in figures["valid_history"])
    return "\n".join(
        [
            f"### {figures['task']} short training run ({figures['mode']}, {figures['model']})",
            "",
            "```bash",
            command,
            "```",
            "",
            "| figure | value |",
            "|---|---|",
            f"| model | {figures['model']} ({figures['parameters'] / 1e6:.1f}M parameters) |",
            f"| train rows (the first N) | {figures['train_rows']:,} |",
            f"| optimizer steps | {figures['optimizer_steps']} |",
            f"| validation accuracy by step ({figures['valid_rows']} rows) | {history} |",
            f"| best step (selected on validation) | {figures['best_step']} |",
            f"| best validation accuracy | {figures['best_valid_accuracy']:.3f} |",
            f"| **test accuracy** ({figures['test_rows']:,} rows, best checkpoint, predicted once) "
            f"| **{figures['test_accuracy']:.3f}** |",
            f"| test majority-class share | {figures['test_majority_baseline']:.3f} |",
            f"| wall time (load + train + eval, {figures['threads']} CPU threads) "
            f"| {figures['wall_seconds'] / 60:.1f} min |",
        ]
    )


if __name__ == "__main__":
    main()
