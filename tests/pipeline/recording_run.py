"""``tokendistill ARGS...`` in a process that records how it trains.

Usage: ``python recording_run.py RECORD_DIR ARGS...``. After every training run it takes part
in, each process (every rank under ``accelerate launch``) rewrites ``RECORD_DIR/rank-<i>.json``
with, per run: for every optimizer step, its own target tokens per task next to the loss
normaliser it used (which must count every rank's tokens), and the checksum of its weights
after training (data parallelism must keep the replicas identical).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def record(record_dir: Path) -> None:
    from tokendistill.training import fit
    from tokendistill.training.data import batch_token_counts
    from tokendistill.training.trainer import DistillTrainer

    steps: list[tuple[list[float], list[float]]] = []
    runs: list[dict] = []
    get_batch_samples, train_model = DistillTrainer.get_batch_samples, fit.train_model

    def recorded_batch_samples(self, epoch_iterator, num_batches, device):
        samples, counts = get_batch_samples(self, epoch_iterator, num_batches, device)
        local = sum(batch_token_counts(b) for b in samples)
        steps.append((local.tolist(), counts.tolist()))
        return samples, counts

    def recorded_train(model, *args, **kwargs):
        result = train_model(model, *args, **kwargs)
        module = getattr(model, "model", model)
        checksum = sum(p.detach().double().sum().item() for p in module.parameters())
        runs.append({"steps": list(steps), "checksum": checksum})
        steps.clear()
        rank = os.environ.get("RANK", "0")
        (record_dir / f"rank-{rank}.json").write_text(json.dumps(runs), encoding="utf-8")
        return result

    DistillTrainer.get_batch_samples = recorded_batch_samples
    fit.train_model = recorded_train


if __name__ == "__main__":
    record(Path(sys.argv[1]))
    from tokendistill.cli import app

    app(sys.argv[2:], prog_name="tokendistill")
