"""The compact teacher cache of soft-label distillation: bytes per answer token, and how far
the cached distribution is from the teacher's dense one, for several k, on real e-SNLI rows.

    .venv/bin/python benchmarks/teacher_cache.py                       # SmolLM2-135M, 256 rows
    .venv/bin/python benchmarks/teacher_cache.py --rows 64 --top-k 8 32

The teacher is teacher-forced on each row's gold answer (as ``soft_labels.over: vocabulary``
stores it, ``stages/distributions.py``) and the cache written as the pipeline writes it: the
top-k token ids (16-bit where the vocabulary allows), their log-probabilities in float16, and
the tail (the log-probability of all other tokens) in float32, one Parquet file per k. Per k:
the file's bytes per answer token; the mean tail mass (what a top-k renormalised without a
tail, as before, dropped); and KL(dense ‖ cache), the cache read as the top-k probabilities
with the tail spread evenly over the other tokens (what a reader can rebuild from it),
averaged over answer tokens.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq
import torch

from tokendistill.models.build import load_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.stages.distributions import distributions_table, teacher_targets
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training.soft_labels import SoftLabelConfig


@torch.no_grad()
def dense_logprobs(adapter, prompts: Sequence[str], answers: Sequence[str]) -> list[torch.Tensor]:
    """Each row's [T, V] log-probabilities of the teacher-forced answer."""
    out = []
    for start in range(0, len(prompts), 8):
        batch = adapter.encode(prompts[start : start + 8], answers[start : start + 8])
        logprobs = torch.log_softmax(adapter.target_logits(batch).float(), -1)
        out += [logprobs[row, :n] for row, n in enumerate(batch.target_mask.sum(-1).tolist())]
    return out


def cache_kl(dense: torch.Tensor, ids: torch.Tensor, top: torch.Tensor, tail: torch.Tensor) -> torch.Tensor:
    """[T] KL(dense ‖ rebuilt cache): top-k as stored, the tail spread over the other tokens."""
    vocab, k = dense.shape[-1], ids.shape[-1]
    rebuilt = (tail - torch.log(torch.tensor(float(vocab - k)))).unsqueeze(-1).expand_as(dense).clone()
    rebuilt.scatter_(-1, ids, top)
    return (dense.exp() * (dense - rebuilt)).sum(-1)


def main(argv: Sequence[str] | None = None) -> list[dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--rows", type=int, default=256, help="e-SNLI training rows (the first)")
    parser.add_argument("--top-k", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    _, data = load_task(TaskConfig(name="esnli", max_examples={"train": args.rows}))
    examples = data.train
    prompts, answers = [ex.text for ex in examples], [ex.label for ex in examples]
    adapter = load_adapter(ModelConfig(name=args.model), corpus=[*prompts, *answers])
    adapter.model.eval()
    dense = dense_logprobs(adapter, prompts, answers)
    tokens = sum(len(d) for d in dense)
    print(f"\n## The teacher cache ({args.model}, {len(examples)} e-SNLI rows, {tokens} answer tokens)\n")
    print("| k | bytes / answer token | mean tail mass | KL(dense ‖ cache), nats / token |")
    print("|---:|---:|---:|---:|")
    rows = []
    for k in args.top_k:
        wanted = [[a] for a in answers]
        targets = teacher_targets(adapter, SoftLabelConfig(top_k=k), prompts, wanted, batch_size=8)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "distributions.parquet"
            pq.write_table(distributions_table("vocabulary", examples, targets, len(adapter.tokenizer)), path)
            size = path.stat().st_size
            table = pq.read_table(path).to_pydict()  # what a student reads back: float16 included
        kls, tails = [], []
        for d, ids, top, tail in zip(
            dense, table["top_ids"], table["top_logprobs"], table["tail_logprobs"], strict=True
        ):
            tail_t = torch.tensor(tail)
            kls.append(cache_kl(d, torch.tensor(ids), torch.tensor(top), tail_t))
            tails.append(tail_t.exp())
        row = {
            "k": k,
            "bytes_per_token": size / tokens,
            "tail_mass": float(torch.cat(tails).mean()),
            "kl": float(torch.cat(kls).mean()),
        }
        rows.append(row)
        print(f"| {k} | {row['bytes_per_token']:.1f} | {row['tail_mass']:.4f} | {row['kl']:.4f} |")
    return rows


if __name__ == "__main__":
    main()
