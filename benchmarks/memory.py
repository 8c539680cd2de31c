"""Peak memory and time per example on SmolLM2-135M: attribution and one training step, fp32 vs
bf16 vs gradient checkpointing vs LoRA, side by side in one process on the same inputs.

    .venv/bin/python benchmarks/memory.py                       # 32 e-SNLI rows per batch
    .venv/bin/python benchmarks/memory.py --batch 8 --train-batch 4 --threads 2   # quick

Every variant loads the model through ``load_adapter`` as the pipeline does (``train=True`` for
the training step, so full fine-tuning keeps float32 master weights and LoRA freezes its base
in the chosen precision) and runs on the first e-SNLI training rows:

* attribution: ``attribute(..., "saliency")`` (the paper's method) over ``--batch`` rows in
  one batch, the teacher's answers given (the gold labels), so only the forward + backward to
  the input embeddings is measured;
* the KD term (``kd-term``): the soft-label loss over the vocabulary at ``--kd-positions``
  positions with the model's output head, direct or chunked (``training/chunked.py``);
* a training step: the pipeline's loss (the target tokens' mean negative log-probability)
  over ``--train-batch`` rows, under bf16 autocast where the Trainer would use it, backward
  and an AdamW step; one untimed step first creates the optimizer's state, the second is
  measured (a step in the middle of training).

Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU; on a CPU the process's resident
set size, sampled every millisecond by a thread, above what the process held before the model
was loaded (so it counts the model, its gradients and optimizer state, and the work, like the
GPU figure does). The freed memory is handed back to the OS (``malloc_trim``) between variants.
Also printed: how far bf16 saliency scores are from float32 ones on these rows, with the top-5
agreement.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil
import torch

from tokendistill.attribution import attribute
from tokendistill.attribution.result import TokenAttribution
from tokendistill.models.batch import token_logprobs
from tokendistill.models.build import load_adapter
from tokendistill.models.config import LoraSettings, ModelConfig
from tokendistill.models.head import OutputHead, target_hidden
from tokendistill.tasks import Example, TaskConfig, load_task
from tokendistill.training.chunked import TargetOutputs, chunked_head
from tokendistill.training.losses import tail_bucket_jsd, tail_logprob
from tokendistill.training.modes import build_rows

MODEL = "smollm2-135m"  # --model; a tiny one for the smoke test
WORKLOADS = ("attribution", "training", "kd-term")
ATTRIBUTION = {
    "fp32": {},
    "bf16": {"precision": "bf16"},
    "fp32 + checkpointing": {"gradient_checkpointing": True},
    "bf16 + checkpointing": {"precision": "bf16", "gradient_checkpointing": True},
}
TRAINING = {
    "full fp32": {},
    "full bf16 (mixed)": {"precision": "bf16"},
    "full fp32 + checkpointing": {"gradient_checkpointing": True},
    "LoRA fp32": {"peft": LoraSettings()},
    "LoRA fp32, dropout 0.05": {"peft": LoraSettings(dropout=0.05)},
    "LoRA bf16": {"peft": LoraSettings(), "precision": "bf16"},
    "LoRA bf16 + checkpointing": {
        "peft": LoraSettings(),
        "precision": "bf16",
        "gradient_checkpointing": True,
    },
    # Two-task rows (each example's text as a long target, like a rationale): the logits over
    # the vocabulary at every target position, whole or a chunk at a time (``head_chunk``).
    "full fp32, two-task rows": {"rows": "two-task"},
    "full fp32, two-task rows, head_chunk 256": {"rows": "two-task", "head_chunk": 256},
}


# ---------------------------------------------------------------------------- memory
def device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def rss() -> int:
    return psutil.Process().memory_info().rss


def release() -> None:
    """Drop what the last variant left: Python garbage, the CUDA cache, glibc's free lists."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    with contextlib.suppress(OSError):  # not glibc: freed memory may stay with the process
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Peak:
    """Peak memory above ``base`` while inside (see the module docstring)."""

    def __init__(self, base: int) -> None:
        self.base, self.peak, self._stop = base, 0, threading.Event()

    def __enter__(self) -> Peak:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        else:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.001)

    def __exit__(self, *exc) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, rss())

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


def baseline() -> int:
    release()
    return torch.cuda.memory_allocated() if torch.cuda.is_available() else rss()


# ------------------------------------------------------------------------- workloads
@dataclass
class Row:
    workload: str
    variant: str
    mib: float
    seconds_per_example: float


def measure(workload: str, variant: str, n: int, run: Callable[[Callable[[], None]], None]) -> Row:
    """``run(timed)`` loads its model, prepares, then calls ``timed()`` around the measured part."""
    base = baseline()
    result: dict[str, float] = {}

    def timed(work: Callable[[], None]) -> None:
        with Peak(base) as peak:
            start = time.perf_counter()
            work()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            result["seconds"] = time.perf_counter() - start
        result["mib"] = peak.mib

    run(timed)
    release()
    row = Row(workload, variant, result["mib"], result["seconds"] / n)
    print(
        f"{workload:12} {variant:28} {row.mib:9.0f} MiB {row.seconds_per_example:8.3f} s/example", flush=True
    )
    return row


def _corpus(examples: Sequence[Example]) -> list[str]:
    """What a tiny model's tokenizer learns from (any other model ignores it)."""
    return [text for ex in examples for text in (ex.text, ex.label)]


def attribution_run(model: str, settings: dict, examples: Sequence[Example], out: list) -> Callable:
    def run(timed: Callable[[Callable[[], None]], None]) -> None:
        config = ModelConfig(name=model, **settings)
        adapter = load_adapter(config, corpus=_corpus(examples), device=device())
        labels = [ex.label for ex in examples]
        attribute(adapter, examples[:2], "saliency", split="b", teacher_answers=labels[:2])  # warm-up

        def work() -> None:
            out.append(attribute(adapter, examples, "saliency", split="b", teacher_answers=labels))

        timed(work)

    return run


def training_run(spec: str, settings: dict, examples: Sequence[Example]) -> Callable:
    settings = dict(settings)
    two_task, head_chunk = settings.pop("rows", None) == "two-task", settings.pop("head_chunk", None)

    def run(timed: Callable[[Callable[[], None]], None]) -> None:
        config = ModelConfig(name=spec, **settings)
        adapter = load_adapter(config, corpus=_corpus(examples), train=True)
        model = adapter.model.to(device()).train()
        if config.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        rows = (
            build_rows(examples, "multitask", rationales={e.id: e.text for e in examples})
            if two_task
            else build_rows(examples, "standard")
        )
        batch = adapter.encode([r.prompt for r in rows], [r.target for r in rows]).to(device())
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
        autocast = torch.autocast(device().type, dtype=torch.bfloat16, enabled=config.precision == "bf16")

        def step() -> None:
            with autocast:
                if head_chunk:
                    hidden, head = target_hidden(adapter, batch)
                    outputs = TargetOutputs(batch.target_mask, hidden=hidden, head=head, chunk=head_chunk)
                    logprobs = outputs.per_position(token_logprobs, batch.target_ids) * batch.target_mask
                else:
                    logprobs = adapter.target_logprobs(batch)
            loss = -logprobs.sum() / batch.target_mask.sum()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        step()  # creates the optimizer's state
        timed(step)

    return run


def kd_term_run(spec: str, chunk: int | None, positions: int, top_k: int = 20) -> Callable:
    """The soft-label loss over the vocabulary on ``positions`` positions with the model's own
    output head (SmolLM2: 49,152 tokens): cross-entropy plus the tail-bucket KL to a teacher's
    top-k, forward and backward, computed directly (``chunk`` None: the positions × vocabulary
    logits, their float32 log-softmax and gradient all at once) or by ``chunked_head``."""

    def run(timed: Callable[[Callable[[], None]], None]) -> None:
        adapter = load_adapter(ModelConfig(name=spec))
        weight = adapter.model.get_output_embeddings().weight.detach().float().requires_grad_(True)
        gen = torch.Generator().manual_seed(0)
        hidden = torch.randn(positions, weight.shape[1], generator=gen).requires_grad_(True)
        targets = torch.randint(0, weight.shape[0], (positions,), generator=gen)
        teacher = torch.log_softmax(torch.randn(positions, weight.shape[0], generator=gen), -1)
        top = teacher.topk(top_k, dim=-1)
        tail = tail_logprob(teacher, top.indices)
        del teacher

        def loss(logits, targets, ids, top_lp, tail):
            nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
            return nll + tail_bucket_jsd(logits, ids, top_lp, tail, temperature=2.0)

        def work() -> None:
            extra = (targets, top.indices, top.values, tail)
            if chunk is None:
                values = loss(hidden @ weight.T, *extra)
            else:
                values = chunked_head(hidden, OutputHead(weight, None), loss, *extra, chunk=chunk)
            values.sum().backward()

        timed(work)

    return run


# ---------------------------------------------------------------------------- report
def score_agreement(
    ref: list[TokenAttribution], low: list[TokenAttribution], k: int = 5
) -> tuple[float, float]:
    """(max |low - ref| / max |ref| per example, mean top-k overlap) over content tokens."""
    worst, shared = 0.0, []
    for a, b in zip(ref, low, strict=True):
        x = torch.tensor([s for s, c in zip(a.scores, a.content, strict=True) if c])
        y = torch.tensor([s for s, c in zip(b.scores, b.content, strict=True) if c])
        worst = max(worst, float((x - y).abs().max() / x.abs().max()))
        top = min(k, len(x))
        shared.append(len(set(x.topk(top).indices.tolist()) & set(y.topk(top).indices.tolist())) / top)
    return worst, sum(shared) / len(shared)


def markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| workload | variant | peak memory (MiB) | × first variant | s / example |",
        "|---|---|---:|---:|---:|",
    ]
    first: dict[str, Row] = {}
    for r in rows:
        ratio = r.mib / first.setdefault(r.workload, r).mib
        lines.append(
            f"| {r.workload} | {r.variant} | {r.mib:.0f} | {ratio:.2f} | {r.seconds_per_example:.3f} |"
        )
    return "\n".join(lines)


def run_all(args: argparse.Namespace) -> tuple[list[Row], dict[str, list[TokenAttribution]]]:
    _, data = load_task(TaskConfig(name="esnli", max_examples=max(args.batch, args.train_batch)))
    rows, scores = [], {}
    if "attribution" in args.workloads:
        for variant, settings in ATTRIBUTION.items():
            out: list = []
            examples = data.train[: args.batch]
            run = attribution_run(args.model, settings, examples, out)
            rows.append(measure("attribution", variant, args.batch, run))
            scores[variant] = out[0]
    if "training" in args.workloads:
        for variant, settings in TRAINING.items():
            if args.variants not in variant:
                continue
            examples = data.train[: args.train_batch]
            run = training_run(args.model, settings, examples)
            rows.append(measure("training", variant, args.train_batch, run))
    if "kd-term" in args.workloads:
        for variant, chunk in (("direct", None), ("chunked (512 positions)", 512)):
            run = kd_term_run(args.model, chunk, args.kd_positions)
            rows.append(measure("kd-term", variant, args.kd_positions, run))
    return rows, scores


def report(rows: Sequence[Row], scores: dict[str, list[TokenAttribution]], args: argparse.Namespace) -> None:
    setup = f"{device()}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    print(
        f"\n## Memory ({args.model}, {setup}; attribution batch {args.batch}, "
        f"training batch {args.train_batch})\n"
    )
    print(markdown(rows))
    by = {(r.workload, r.variant): r.mib for r in rows}
    if scores:
        worst, top5 = score_agreement(scores["fp32"], scores["bf16"])
        print(f"\nbf16 vs fp32 saliency: max |diff| / max |fp32| {worst:.3f}, top-5 agreement {top5:.2f}")
        ckpt, _ = score_agreement(scores["fp32"], scores["fp32 + checkpointing"])
        print(f"checkpointed vs plain saliency (fp32): max |diff| / max |plain| {ckpt:.1e}")
        ratio = by["attribution", "fp32 + checkpointing"] / by["attribution", "fp32"]
        print(f"checkpointed attribution: {ratio:.2f}x plain's peak memory (goal <= 0.6)")
    if ("kd-term", "direct") in by:
        ratio = by["kd-term", "chunked (512 positions)"] / by["kd-term", "direct"]
        print(f"chunked KD term: {ratio:.2f}x the direct term's peak memory (goal <= 0.25)")
    if ("training", "full fp32, two-task rows") in by and (
        "training",
        "full fp32, two-task rows, head_chunk 256",
    ) in by:
        ratio = (
            by["training", "full fp32, two-task rows, head_chunk 256"]
            / by["training", "full fp32, two-task rows"]
        )
        print(f"training step with head_chunk: {ratio:.2f}x the whole batch's logits' peak memory")
    if ("training", "full fp32") in by and ("training", "LoRA fp32") in by:
        ratio = by["training", "LoRA fp32"] / by["training", "full fp32"]
        print(f"LoRA training step: {ratio:.2f}x full fine-tuning's peak memory (goal <= 0.5)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="e-SNLI rows attributed in one batch")
    parser.add_argument("--train-batch", type=int, default=8, help="e-SNLI rows in the training step")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--model", default=MODEL, help="the model spec measured")
    parser.add_argument("--kd-positions", type=int, default=4096, help="positions of the KD term")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument(
        "--variants", default="", help="only the training variants whose name holds this text"
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    report(*run_all(args), args)


if __name__ == "__main__":
    main()
