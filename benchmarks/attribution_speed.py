"""Attribution throughput: tokendistill vs Inseq 0.7.1 vs Captum 0.9 on real CQA and SVAMP inputs.

    .venv/bin/python benchmarks/attribution_speed.py            # 64 CQA + 64 SVAMP inputs
    .venv/bin/python benchmarks/attribution_speed.py --n 8 --ig-n 2   # quick run
    .venv/bin/python benchmarks/attribution_speed.py --skip inseq     # without Inseq (slow)

Every tool gets the same prompts, the same forced targets (the gold answers: CQA answer text,
SVAMP equation) and the same attributed function (the target tokens' log-probability), on the
packaged models ``smollm2-135m`` (causal) and ``minilm-encdec`` (seq2seq), in one process:

* tokendistill: ``attribute()`` end to end (encoding, length-sorted batches, records);
* Inseq: ``saliency`` / ``integrated_gradients`` with ``attributed_fn="probability",
  logprob=True``. Causal: the documented text API (Inseq forces batch size 1 for forced
  decoder-only targets; it computes the final EOS step but drops it from its output because
  this model's pad token is its EOS). Seq2seq: ``prepare_and_attribute`` on BatchEncodings
  built from our encoding, because Inseq's own target encoding adds a second [CLS] for
  BERT2BERT; this way the ids are identical and Inseq may batch;
* Captum: ``Saliency`` / ``IntegratedGradients`` over a forward function returning the mean
  target log-probability, one example at a time (its usual use), and for saliency also on our
  length-sorted padded batches ("captum-batched"), which it is compared with as
  "tokendistill-batched": our saliency's scoring alone (``method.attribute``) on those same
  encoded batches, so the two differ only in how the gradient is computed (the end-to-end
  row adds encoding and the records: token strings, word slots);
* floor: one forward + backward to the input embeddings per length-sorted batch, logits only
  at target positions, parameters frozen (``floor_pass``).

Inseq and Captum run the model as users do (eval mode, parameters not frozen). "max rel diff"
checks numbers: per-step saliency against Inseq (per step, L2 over the hidden dim) and
sequence saliency against Captum, as ``max |ours - theirs| / max |theirs|`` over examples.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from tokendistill.attribution import AttributionSettings, MethodInputs, Objective, attribute, get_method
from tokendistill.attribution.batching import sort_keys
from tokendistill.attribution.freeze import frozen
from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.batch import EncodedBatch
from tokendistill.runtime.batching import length_sorted_batches
from tokendistill.tasks.example import Example

MODELS = ("smollm2-135m", "minilm-encdec")
OURS = ("tokendistill", "tokendistill-batched")
TASKS = ("cqa", "svamp")


# ----------------------------------------------------------------------------- data
def data_dir() -> Path:
    env = os.environ.get("TOKENDISTILL_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load_task(task: str, n: int) -> tuple[list[str], list[str]]:
    """First ``n`` test inputs and gold targets of ``task`` (JSON Lines)."""
    path = data_dir() / task / f"{task}_test.json"
    rows = [json.loads(line) for line in path.read_text().splitlines()[:n]]
    if task == "cqa":
        prompts = [
            f"{r['question']}\nAnswer Choices:\n"
            + "\n".join(f"({chr(97 + i)}) {c}" for i, c in enumerate(r["choices"]))
            for r in rows
        ]
        return prompts, [r["answer"] for r in rows]
    return [r["input"] for r in rows], [r["label"] for r in rows]


# ---------------------------------------------------------------------------- timing
def sync() -> None:
    if torch.accelerator.is_available():
        torch.accelerator.synchronize()


def timed(fn: Callable[[], object], repeats: int = 1) -> tuple[float, object]:
    """(best wall time of ``repeats`` runs, last output): the minimum is the least noisy
    estimate on a shared machine."""
    best, out = float("inf"), None
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        out = fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best, out


def one_batch(adapter: ModelAdapter, prompt: str, target: str) -> EncodedBatch:
    return adapter.encode([prompt], [target]).to(adapter.device)


# ------------------------------------------------------------------------------ tools
def run_ours(adapter, prompts, targets, method: str, aggregation: str, args) -> None:
    examples = [
        Example(str(i), p, ((0, len(p)),), t) for i, (p, t) in enumerate(zip(prompts, targets, strict=True))
    ]
    options = (
        {"n_steps": args.ig_steps, "internal_batch_size": args.ig_internal_batch}
        if method != "saliency"
        else {}
    )
    settings = AttributionSettings(aggregation=aggregation, batch_size=args.batch_size)
    attribute(
        adapter,
        examples,
        get_method(method, **options),
        split="bench",
        settings=settings,
        teacher_answers=targets,
    )


def _keys(adapter: ModelAdapter, prompts: Sequence[str], targets: Sequence[str]) -> list[tuple[int, int]]:
    """The sequence-mode batching of ``attribute`` (by total length)."""
    return sort_keys(adapter.tokenizer, prompts, targets, per_step=False)


def floor_pass(
    adapter: ModelAdapter, prompts: Sequence[str], targets: Sequence[str], batch_size: int
) -> None:
    """The least a gradient attribution can cost: per length-sorted batch, one forward that
    projects only target positions to the vocabulary and one backward to the prompt embeddings."""
    keys = _keys(adapter, prompts, targets)
    with frozen(adapter.model):
        for rows in length_sorted_batches(keys, batch_size):
            batch = adapter.encode([prompts[i] for i in rows], [targets[i] for i in rows]).to(adapter.device)
            embeds = adapter.embed(batch.prompt_ids).detach().requires_grad_(True)
            torch.autograd.grad(adapter.target_logprobs(batch, embeds).sum(), embeds)


def captum_forward(adapter: ModelAdapter):
    def forward(embeds, prompt_ids, prompt_mask, target_ids, target_mask):
        offsets = [[None] * prompt_ids.shape[1]] * prompt_ids.shape[0]
        batch = EncodedBatch(prompt_ids, prompt_mask, target_ids, target_mask, offsets)
        return adapter.target_logprobs(batch, embeds).sum(-1) / target_mask.sum(-1)  # [N]

    return forward


def run_captum(adapter, batches: Sequence[EncodedBatch], method: str, args) -> list[torch.Tensor]:
    """Token scores [B, P] per batch: L2 of |grad| (saliency) or summed IG (zero baseline)."""
    from captum.attr import IntegratedGradients, Saliency

    out = []
    for b in batches:
        extra = (b.prompt_ids, b.prompt_mask, b.target_ids, b.target_mask)
        embeds = adapter.embed(b.prompt_ids).detach()
        if method == "saliency":
            raw = Saliency(captum_forward(adapter)).attribute(embeds, additional_forward_args=extra, abs=True)
            out.append(raw.norm(dim=-1).detach())
        else:
            ig = IntegratedGradients(captum_forward(adapter))
            raw = ig.attribute(
                embeds, torch.zeros_like(embeds), additional_forward_args=extra, n_steps=args.ig_steps
            )
            out.append(raw.sum(-1).detach())
    return out


def inseq_model(adapter: ModelAdapter, method: str):
    import inseq

    # A tokenizer copy: Inseq switches padding/truncation to the left for decoder-only models.
    return inseq.load_model(
        adapter.model, method, tokenizer=copy.deepcopy(adapter.tokenizer), device=str(adapter.device)
    )


def run_inseq(adapter, prompts, targets, method: str, args) -> list[torch.Tensor]:
    """Per-step L2 matrices [P_b, T'_b] of every example (prompt tokens only)."""
    model = inseq_model(adapter, method)
    kwargs = {
        "attribute_target": False,
        "show_progress": False,
        "attributed_fn": "probability",
        "logprob": True,
    }
    if method == "integrated_gradients":
        kwargs["n_steps"] = args.ig_steps
    if adapter.architecture == "causal":
        sources = [p + adapter.answer_prefix for p in prompts]
        generated = [
            s + adapter.target_prefix + t + adapter.tokenizer.eos_token
            for s, t in zip(sources, targets, strict=True)
        ]
        out = model.attribute(sources, generated, batch_size=args.batch_size, **kwargs)
        lengths = [int(adapter.encode([p]).prompt_mask.sum()) for p in prompts]
        return [
            s.target_attributions[:n].norm(dim=-1)
            for s, n in zip(out.sequence_attributions, lengths, strict=True)
        ]
    matrices = []
    for start in range(0, len(prompts), args.batch_size):
        sl = slice(start, start + args.batch_size)
        matrices += _inseq_seq2seq(model, adapter, prompts[sl], targets[sl], kwargs)
    return matrices


def _inseq_seq2seq(model, adapter, prompts, targets, kwargs) -> list[torch.Tensor]:
    from inseq.data import BatchEncoding
    from inseq.models.attribution_model import merge_attributions

    tok, b = adapter.tokenizer, adapter.encode(prompts, targets)

    def encoding(ids: torch.Tensor, mask: torch.Tensor) -> BatchEncoding:
        tokens = [tok.convert_ids_to_tokens(r) for r in ids.tolist()]
        baseline = torch.full_like(ids, tok.unk_token_id)
        return BatchEncoding(input_ids=ids, input_tokens=tokens, attention_mask=mask, baseline_ids=baseline)

    start = torch.full((len(b), 1), adapter.model.config.decoder_start_token_id)
    sources = encoding(b.prompt_ids, b.prompt_mask)
    target = encoding(
        torch.cat([start, b.target_ids], 1), torch.cat([torch.ones_like(start), b.target_mask], 1)
    )
    method_args = {"n_steps": kwargs["n_steps"]} if "n_steps" in kwargs else {}
    out = model.attribution_method.prepare_and_attribute(
        sources, target, attribute_target=False, show_progress=False,
        attributed_fn=model.get_attributed_fn("probability"), attribution_args=method_args,
        attributed_fn_args={"logprob": True},
    )  # fmt: skip
    out = merge_attributions(out) if isinstance(out, list) else out
    return [s.source_attributions.norm(dim=-1) for s in out.sequence_attributions]


# ------------------------------------------------------------------- equal numbers
def our_per_step_l2(adapter, batches: Sequence[EncodedBatch]) -> list[torch.Tensor]:
    """Our per-step saliency matrices [P_b, T_b] (L2 over hidden), one example per batch."""
    method, objective, out = get_method("saliency"), Objective(adapter, "logprob", "per_step"), []
    with frozen(adapter.model):
        for b in batches:
            inputs = MethodInputs(b, b.prompt_mask.bool(), ["x"])
            out.append(torch.stack([s.raw[0].norm(dim=-1) for s in method.raw_steps(inputs, objective)], -1))
    return out


def our_sequence_saliency(adapter, batches: Sequence[EncodedBatch]) -> list[torch.Tensor]:
    method, objective = get_method("saliency"), Objective(adapter)
    with frozen(adapter.model):
        return [method.attribute(MethodInputs(b, b.prompt_mask.bool(), ["x"]), objective) for b in batches]


def max_rel_diff(ours: Sequence[torch.Tensor], theirs: Sequence[torch.Tensor]) -> float:
    """max |a - b| / max |b| over examples; per-step matrices compared on the steps both have."""
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        a, b = a.detach().float().cpu(), b.detach().float().cpu()
        if a.dim() == 2:  # [P, T] vs [P, T'] with T' <= T
            a = a[:, : b.shape[1]]
        worst = max(worst, float((a - b).abs().max() / b.abs().max().clamp(min=1e-30)))
    return worst


# --------------------------------------------------------------------------- driver
@dataclass
class Row:
    model: str
    task: str
    method: str
    tool: str
    n: int
    seconds: float
    diff: float | None = None

    @property
    def rate(self) -> float:
        return self.n / self.seconds


def bench(model_name: str, adapter: ModelAdapter, task: str, args) -> list[Row]:
    """All rows of one (model, task): saliency on ``--n`` inputs, IG on the first ``--ig-n``."""
    prompts, targets = load_task(task, args.n)
    singles = [one_batch(adapter, p, t) for p, t in zip(prompts, targets, strict=True)]
    _warm_up(adapter, prompts, targets, singles, args)
    rows = [Row(model_name, task, *r) for r in _saliency_rows(adapter, prompts, targets, singles, args)]
    k = min(args.ig_n, len(prompts))
    if k:
        rows += [
            Row(model_name, task, *r) for r in _ig_rows(adapter, prompts[:k], targets[:k], singles[:k], args)
        ]
    return rows


def _saliency_rows(adapter, prompts, targets, singles, args) -> list[tuple]:
    """(method, tool, n, seconds, diff) for sequence and per-step saliency."""
    n, seq, step = len(prompts), "saliency (sequence)", "saliency (per_step)"
    r, batches = args.repeats, _sorted_batches(adapter, prompts, targets, args)
    t_floor, _ = timed(lambda: floor_pass(adapter, prompts, targets, args.batch_size), r)
    t_ours, _ = timed(lambda: run_ours(adapter, prompts, targets, "saliency", "sequence", args), r)
    t_cap, cap = timed(lambda: run_captum(adapter, singles, "saliency", args), r)
    t_capb, _ = timed(lambda: run_captum(adapter, batches, "saliency", args), r)
    t_oursb, _ = timed(lambda: our_sequence_saliency(adapter, batches), r)
    t_step, _ = timed(lambda: run_ours(adapter, prompts, targets, "saliency", "per_step", args), r)
    seq_diff = max_rel_diff(our_sequence_saliency(adapter, singles), cap)
    rows = [
        (seq, "tokendistill", n, t_ours, seq_diff),
        (seq, "floor", n, t_floor),
        (seq, "captum", n, t_cap),
        (seq, "captum-batched", n, t_capb),
        (seq, "tokendistill-batched", n, t_oursb),
    ]
    if "inseq" in args.skip:
        return [*rows, (step, "tokendistill", n, t_step)]
    t_ins, ins = timed(lambda: run_inseq(adapter, prompts, targets, "saliency", args), r)
    step_diff = max_rel_diff(our_per_step_l2(adapter, singles), ins)
    return [
        *rows,
        (seq, "inseq", n, t_ins),  # Inseq has only its per-step mode
        (step, "tokendistill", n, t_step, step_diff),
        (step, "inseq", n, t_ins),
    ]


def _ig_rows(adapter, prompts, targets, singles, args) -> list[tuple]:
    """(method, tool, n, seconds) for integrated gradients (ours: sequence mode, zero baseline)."""
    ig, k = f"integrated_gradients ({args.ig_steps})", len(prompts)
    r = args.repeats
    run_ours(adapter, prompts[:1], targets[:1], "integrated_gradients", "sequence", args)  # warm-up
    run_captum(adapter, singles[:1], "integrated_gradients", args)
    t_ig, _ = timed(lambda: run_ours(adapter, prompts, targets, "integrated_gradients", "sequence", args), r)
    t_cig, _ = timed(lambda: run_captum(adapter, singles, "integrated_gradients", args), r)
    rows = [(ig, "tokendistill", k, t_ig), (ig, "captum", k, t_cig)]
    if "inseq" in args.skip:
        return rows
    t_iig, _ = timed(lambda: run_inseq(adapter, prompts, targets, "integrated_gradients", args), r)
    return [*rows, (ig, "inseq", k, t_iig)]


def _sorted_batches(adapter, prompts, targets, args) -> list[EncodedBatch]:
    keys = _keys(adapter, prompts, targets)
    return [
        adapter.encode([prompts[i] for i in rows], [targets[i] for i in rows]).to(adapter.device)
        for rows in length_sorted_batches(keys, args.batch_size)
    ]


def _warm_up(adapter, prompts, targets, singles, args) -> None:
    """Untimed passes (lazy imports, allocator and kernel caches): a full batch for the batched
    tools, so the first timed one does not pay for growing the allocator; one input for the rest."""
    first = slice(0, args.batch_size)
    floor_pass(adapter, prompts[first], targets[first], args.batch_size)
    run_ours(adapter, prompts[first], targets[first], "saliency", "sequence", args)
    run_ours(adapter, prompts[:1], targets[:1], "saliency", "per_step", args)
    run_captum(adapter, singles[:1], "saliency", args)
    batch = _sorted_batches(adapter, prompts[first], targets[first], args)
    run_captum(adapter, batch, "saliency", args)
    our_sequence_saliency(adapter, batch)
    if "inseq" not in args.skip:
        run_inseq(adapter, prompts[:1], targets[:1], "saliency", args)


# ---------------------------------------------------------------------------- report
def markdown(rows: Sequence[Row]) -> str:
    lines = [
        "| model | task | method | tool | n | examples/s | tokendistill × faster | max rel diff |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        speedup = "" if r.tool in OURS else f"{_ours(rows, r).rate / r.rate:.2f}"
        diff = "" if r.diff is None else f"{r.diff:.1e}"
        lines.append(
            f"| {r.model} | {r.task} | {r.method} | {r.tool} | {r.n} | {r.rate:.2f} | {speedup} | {diff} |"
        )
    return "\n".join(lines)


def check_targets(rows: Sequence[Row]) -> list[str]:
    """The speed targets, each as 'PASS'/'FAIL' with the measured value."""
    out = []
    for r in rows:
        model, task, method, tool = r.model, r.task, r.method, r.tool
        if tool in OURS:
            continue
        ratio = _ours(rows, r).rate / r.rate
        goal = _goal(task, method, tool)
        if goal is not None:
            verdict = "PASS" if ratio >= goal else "FAIL"
            shown = (
                f"time ratio {1 / ratio:.2f} (goal <= {1 / goal:.2f})"
                if tool == "floor"
                else f"{ratio:.2f}x (goal >= {goal}x)"
            )
            out.append(f"{verdict} {model} {task} {method} vs {tool}: {shown}")
    return out


def _ours(rows: Sequence[Row], theirs: Row) -> Row:
    """Our row that ``theirs`` is compared with: scoring alone against Captum on the same
    encoded batches, ``attribute()`` end to end against the rest."""
    tool = "tokendistill-batched" if theirs.tool == "captum-batched" else "tokendistill"
    key = (theirs.model, theirs.task, theirs.method, tool)
    return next(r for r in rows if (r.model, r.task, r.method, r.tool) == key)


def _goal(task: str, method: str, tool: str) -> float | None:
    if tool == "floor":
        return 1 / 1.1  # our time <= 1.1 x floor time
    if method == "saliency (sequence)":
        return {"inseq": 3.5 if task == "cqa" else 25.0, "captum": 3.0, "captum-batched": 1.0}.get(tool)
    if method == "saliency (per_step)" and tool == "inseq":
        return 2.0
    if method.startswith("integrated_gradients"):
        return {"inseq": 5.0, "captum": 1.0}.get(tool)
    return None


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="inputs per task (saliency)")
    parser.add_argument(
        "--ig-n", type=int, default=None, help="inputs per task for integrated gradients (default --n)"
    )
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="model specs (tiny ones too)")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--ig-steps", type=int, default=32)
    parser.add_argument(
        "--ig-internal-batch", type=int, default=32, help="rows per IG forward (ours; Captum runs n_steps)"
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["inseq"],
        help="tools not to run (Inseq takes minutes per input)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per tool; the fastest counts")
    args = parser.parse_args(argv)
    args.ig_n = args.n if args.ig_n is None else args.ig_n
    if args.threads:
        torch.set_num_threads(args.threads)
    from tokendistill.models.build import load_adapter
    from tokendistill.models.config import ModelConfig

    device = (
        torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    )
    # A tiny model (the smoke test's) learns its tokenizer from the texts it will see.
    texts = [text for task in args.tasks for pair in load_task(task, args.n) for text in pair]
    rows: list[Row] = []
    for name in args.models:
        loaded = load_adapter(ModelConfig(name=name), corpus=texts)
        adapter = make_adapter(loaded.model.to(device).eval(), loaded.tokenizer)
        for task in args.tasks:
            rows += bench(name, adapter, task, args)
            print(markdown([r for r in rows if (r.model, r.task) == (name, task)]), flush=True)
    threads = torch.get_num_threads()
    setup = f"{device}, torch {torch.__version__}, {threads} threads, batch size {args.batch_size}"
    print(f"\n## Attribution speed ({setup}, best of {args.repeats})\n")
    print(markdown(rows))
    print("\n" + "\n".join(check_targets(rows)))


if __name__ == "__main__":
    main()
