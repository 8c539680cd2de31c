"""Our training loop against the plain ``transformers.Trainer`` a user writes in 30 lines: the
same model weights, rows, batch size, seed and optimizer steps, in one process.

    .venv/bin/python benchmarks/step_overhead.py                               # MiniLM enc-dec, e-SNLI
    .venv/bin/python benchmarks/step_overhead.py --model "smollm2-135m:layers=6" --steps 16 [--padding-free]

Plain: the rows tokenised once as our adapter tokenises them (the same token ids), padded by
``DataCollatorForSeq2Seq``, the stock loss, no evaluation, no checkpoints. Ours:
``train_model`` with one evaluation and one checkpoint at the last step; its loop time is its
profile's total less evaluation, checkpoint, test prediction and the final save (``profile.json``),
so both sides count what one optimizer step costs: collation, forward, backward, optimizer,
logging. Each side runs ``--repeat`` times, alternating, from the same initial weights; the
medians are compared.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from datasets import Dataset
from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training import TrainingConfig, build_rows, train_model
from tokendistill.training.rows import TrainingRow

EXCLUDED = ("evaluate", "checkpoint", "test_predict", "save_model")


def plain_rows(adapter: ModelAdapter, rows: Sequence[TrainingRow]) -> Dataset:
    """Each row as input_ids / attention_mask / labels, with our adapter's token ids."""
    records = []
    for row in rows:
        batch = adapter.encode([row.prompt], [row.target])
        prompt = batch.prompt_ids[0][batch.prompt_mask[0].bool()].tolist()
        target = batch.target_ids[0][batch.target_mask[0].bool()].tolist()
        if adapter.architecture == "causal":
            ids, labels = prompt + target, [-100] * len(prompt) + target
        else:
            ids, labels = prompt, target
        records.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels})
    return Dataset.from_list(records)


def plain_seconds(adapter: ModelAdapter, weights: dict, data: Dataset, args: argparse.Namespace) -> float:
    adapter.model.load_state_dict(weights)
    with tempfile.TemporaryDirectory() as folder:
        arguments = TrainingArguments(
            output_dir=folder,
            max_steps=args.steps,
            per_device_train_batch_size=args.batch_size,
            learning_rate=1e-4,
            save_strategy="no",
            eval_strategy="no",
            logging_steps=10,
            report_to=[],
            seed=args.seed,
            use_cpu=not torch.accelerator.is_available(),
            disable_tqdm=True,
        )
        collator = DataCollatorForSeq2Seq(adapter.tokenizer, model=adapter.model, padding=True)
        trainer = Trainer(model=adapter.model, args=arguments, train_dataset=data, data_collator=collator)
        return trainer.train().metrics["train_runtime"]


def loop_config(steps: int, batch_size: int, **options) -> TrainingConfig:
    """Our side's training: ``steps`` optimizer steps, one evaluation at the last."""
    return TrainingConfig(
        max_steps=steps,
        batch_size=batch_size,
        learning_rate=1e-4,
        eval_steps=steps,
        eval_mode="rank",
        logging_steps=10,
        **options,
    )


def loop_seconds(profile: dict) -> float:
    """A run's training-loop time: its profile's total less evaluation, checkpoints, test
    prediction and the final save."""
    return profile["total_seconds"] - sum(profile["seconds"][part] for part in EXCLUDED)


def our_profile(adapter: ModelAdapter, weights: dict, rows, task, data, args: argparse.Namespace) -> dict:
    adapter.model.load_state_dict(weights)
    layout = {"group_by_length": args.group_by_length, "padding_free": args.padding_free}
    config = loop_config(args.steps, args.batch_size, **layout)
    with tempfile.TemporaryDirectory() as folder:
        result = train_model(
            adapter,
            None,
            rows,
            data.valid,
            data.test,
            task,
            config,
            folder,
            seed=args.seed,
            quiet=True,
        )
        return json.loads(Path(result.profile_path).read_text())


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm-encdec")
    parser.add_argument("--task", default="esnli")
    parser.add_argument("--rows", type=int, default=256, help="training rows (the task's first)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=16, help="optimizer steps per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (median)")
    parser.add_argument("--group-by-length", action="store_true", help="ours with batches of similar lengths")
    parser.add_argument("--padding-free", action="store_true", help="ours without padding (decoder-only)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    task, data = load_task(
        TaskConfig(name=args.task, max_examples={"train": args.rows, "valid": 8, "test": 8})
    )
    texts = [t for ex in data.train for t in (ex.text, ex.label)]
    adapter = load_adapter(ModelConfig(name=args.model), corpus=texts, seed=args.seed, train=True)
    weights = copy.deepcopy(adapter.model.state_dict())
    rows = build_rows(data.train, "standard")
    plain_data = plain_rows(adapter, rows)
    plain, ours, profiles = [], [], []
    for _ in range(args.repeat):
        plain.append(plain_seconds(adapter, weights, plain_data, args))
        profile = our_profile(adapter, weights, rows, task, data, args)
        profiles.append(profile)
        ours.append(loop_seconds(profile))
    p, o = statistics.median(plain), statistics.median(ours)
    padding = statistics.median(pr["padding_share"] for pr in profiles)
    setup = (
        f"{args.rows} rows, batch {args.batch_size}, {args.steps} steps, {torch.get_num_threads()} threads"
    )
    print(f"\n## Training step: ours vs the plain Trainer ({args.model}, {args.task}, {setup})\n")
    print(f"| side | s / step (median of {args.repeat}) | × plain |")
    print("|---|---:|---:|")
    print(f"| plain transformers.Trainer | {p / args.steps:.3f} | 1.00 |")
    label = " ".join(
        [
            "tokendistill",
            *(["grouped by length"] * args.group_by_length),
            *(["padding-free"] * args.padding_free),
        ]
    )
    print(f"| {label} | {o / args.steps:.3f} | {o / p:.2f} |")
    print(f"\nours: padding {100 * padding:.1f} % of computed tokens")
    return {"plain": p, "ours": o, "ratio": o / p, "padding": padding}


if __name__ == "__main__":
    main()
