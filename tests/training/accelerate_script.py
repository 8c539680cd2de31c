"""Run by test_accelerate.py under ``accelerate launch --num_processes 2 --cpu``: trains the
toy task with DSS multitask rows, then records each rank's weight checksum and, per optimizer
step, its own tokens per task next to the loss normaliser it used.

Usage: accelerate_script.py OUTPUT_DIR TOKENIZER_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from accelerate import PartialState
from accelerate.utils import gather_object
from transformers import PreTrainedTokenizerFast

from conftest import TEST, TRAIN, VALID, ExactMatch, animal_rationales  # this folder is on sys.path
from tokendistill.models.tiny import tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows, train_model
from tokendistill.training.losses import task_token_counts
from tokendistill.training.trainer import DistillTrainer

STEP_COUNTS: list[tuple[list[float], list[float]]] = []  # (this rank's tokens per task, normaliser)


def _record_counts(get_batch_samples):
    def wrapped(self, epoch_iterator, num_batches, device):
        samples, counts = get_batch_samples(self, epoch_iterator, num_batches, device)
        local = sum(task_token_counts(b["target_mask"], b["row_task"], 2) for b in samples)
        STEP_COUNTS.append((local.tolist(), counts.tolist()))
        return samples, counts

    return wrapped


def main(out: Path, tokenizer_dir: Path) -> None:
    torch.set_num_threads(1)
    DistillTrainer.get_batch_samples = _record_counts(DistillTrainer.get_batch_samples)
    # One tokenizer file for both ranks: tiny tokenizers built per process would disagree on ids.
    tokenizer = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    model = tiny_seq2seq(tokenizer, seed=0)
    config = TrainingConfig(
        max_steps=60,
        eval_steps=30,
        batch_size=8,
        grad_accumulation=2,
        learning_rate=3e-3,
        lr_scheduler="constant",
        max_new_tokens=4,
        logging_steps=30,
        report_to="none",
    )
    rows = build_rows(TRAIN, "multitask", rationales=animal_rationales(TRAIN))
    result = train_model(model, tokenizer, rows, VALID, TEST, ExactMatch(), config, out, mode="multitask")
    checksum = sum(p.double().sum().item() for p in model.parameters())
    state = PartialState()
    checksums = gather_object([checksum])
    step_counts = gather_object([STEP_COUNTS])
    if state.is_main_process:
        record = {
            "num_processes": state.num_processes,
            "checksums": checksums,
            "step_counts": step_counts,
            "test": result.test_metrics,
        }
        (out / "ranks.json").write_text(json.dumps(record))
    # Tear the gloo group down before interpreter exit: left to atexit it sometimes aborts.
    state.wait_for_everyone()
    state.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
