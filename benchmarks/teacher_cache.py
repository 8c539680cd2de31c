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
averaged over answer tokens. For a student of another tokenizer (``--student``, default the
MiniLM encoder-decoder: WordPiece against SmolLM2's byte-level BPE), what ``soft_labels.match:
aligned`` makes of the cache: the share of the student's answer tokens that get a soft term
(where both have read the same characters and some top-k token has a student token of the same
text) and the teacher's mass those tokens carry there (the rest is one bucket).
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
from tokendistill.models.token_pieces import VocabularyMap, target_spans, token_pieces
from tokendistill.stages.distributions import distributions_table, teacher_targets
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.training.aligned_targets import align_target
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
    parser.add_argument("--student", default="minilm-encdec", help="a student of another tokenizer")
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
    student = load_adapter(ModelConfig(name=args.student), corpus=[*prompts, *answers])
    vocabulary = VocabularyMap(student.tokenizer)
    spans = [target_spans(student, a) for a in answers]
    print(
        "| k | bytes / answer token | mean tail mass | KL(dense ‖ cache), nats / token "
        f"| {args.student}: answer tokens aligned | teacher mass matched there |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    rows = []
    for k in args.top_k:
        wanted = [[a] for a in answers]
        targets = teacher_targets(adapter, SoftLabelConfig(top_k=k), prompts, wanted, batch_size=8)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "distributions.parquet"
            pq.write_table(distributions_table("vocabulary", examples, targets, len(adapter.tokenizer)), path)
            size = path.stat().st_size
            table = pq.read_table(path).to_pydict()  # what a student reads back: float16 included
            ids = {i for rows in table["top_ids"] for row in rows for i in row}
            pieces = token_pieces(adapter.tokenizer, ids)
        aligned = [align_target(t, pieces, s, vocabulary) for t, s in zip(targets, spans, strict=True)]
        positions = sum(len(a.positions) for a in aligned)
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
            "aligned": positions / sum(len(s) for s in spans),
            "matched": sum(a.matched for a in aligned) / max(1, positions),
        }
        rows.append(row)
        print(
            f"| {k} | {row['bytes_per_token']:.1f} | {row['tail_mass']:.4f} | {row['kl']:.4f} "
            f"| {row['aligned']:.3f} | {row['matched']:.3f} |"
        )
    return rows


if __name__ == "__main__":
    main()
