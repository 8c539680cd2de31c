"""Tiny models of both architectures, templated examples, comparison helpers, and ranks
simulated by threads of one process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import torch

from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tokendistill.tasks.example import Example, TemplateBuilder

QUESTIONS = [
    ("the quick brown fox jumps over the lazy dog", "yes"),
    ("a man is playing a guitar on stage", "no"),
    ("dog", "yes"),
    ("premise : the cat sat on the mat . hypothesis : a cat is sitting", "entailment"),
]
PROMPTS = [
    "the quick brown fox jumps over the lazy dog",
    "a man is playing a guitar",
    "premise : the cat sat on the mat . hypothesis : a cat is sitting",
]
TARGETS = ["entailment", "neutral answer", "contradiction , maybe not"]
ARCHS = ("seq2seq", "causal")


def make_example(i: int, question: str, label: str) -> Example:
    text, spans = (
        TemplateBuilder()
        .template("question : ")
        .content(question)
        .template("\nanswer choices : ( a ) yes")
        .build()
    )
    return Example(id=f"ex-{i}", text=text, content_spans=spans, label=label)


def corpus() -> list[str]:
    return [*PROMPTS, *TARGETS, *(q for q, _ in QUESTIONS), "question answer choices yes no"]


def build_adapter(arch: str, *, seed: int = 0, t5_specials: bool = False) -> ModelAdapter:
    """A fresh tiny model + adapter. ``t5_specials``: the tokenizer appends EOS to every text (T5-like)."""
    tokenizer = build_tiny_tokenizer(corpus(), add_eos=t5_specials)
    build = tiny_seq2seq if arch == "seq2seq" else tiny_causal
    return make_adapter(build(tokenizer, seed=seed).eval(), tokenizer)


def tie_unk_to_pad(adapter: ModelAdapter) -> None:
    """Make the UNK embedding equal the pad embedding, so Inseq's UNK baseline is our ``pad`` baseline."""
    weight = adapter.model.get_input_embeddings().weight
    with torch.no_grad():
        weight[adapter.tokenizer.unk_token_id] = weight[adapter.tokenizer.pad_token_id]


def raw_by_step(method, inputs, objective) -> dict[tuple[int, int], torch.Tensor]:
    """{(row, step): raw [P, H]} from a gradient method's ``raw_steps``."""
    out = {}
    for step in method.raw_steps(inputs, objective):
        for j, row in enumerate(step.rows.tolist()):
            out[(row, step.step)] = step.raw[j]
    return out


T = TypeVar("T")


@dataclass
class FakeState:
    """A process state (rank, world size, barrier) without a process group."""

    process_index: int = 0
    num_processes: int = 1
    barrier: threading.Barrier | None = None

    @property
    def is_main_process(self) -> bool:
        return self.process_index == 0

    def wait_for_everyone(self) -> None:
        if self.barrier is not None:
            self.barrier.wait()


def run_ranks(world: int, work: Callable[[FakeState], T]) -> list[T]:
    """``work(state)`` for every rank of a ``world``, each in its own thread, meeting at a
    shared barrier; results in rank order. A failing rank breaks the barrier, so no rank
    waits forever."""
    barrier = threading.Barrier(world, timeout=600)

    def rank(index: int) -> T:
        try:
            return work(FakeState(index, world, barrier))
        except BaseException:
            barrier.abort()
            raise

    with ThreadPoolExecutor(world) as pool:
        futures = [pool.submit(rank, index) for index in range(world)]
        return [f.result() for f in futures]
