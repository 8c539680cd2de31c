"""The toy task the training tests share, learnt by a tiny model in seconds.

Name the kind ("pet" / "wild") of the one animal in a sentence. The animal sits at a random
position among filler words, so the model must find it rather than copy a fixed position;
the natural rationale is the animal word itself. Tests get this module through the ``toy``
fixture; the accelerate script, run as a separate process from this folder, imports it.
"""

from __future__ import annotations

import functools
import random
import re
import sys
from dataclasses import dataclass

import pytest
import torch

from tokendistill.models.tiny import build_tiny_tokenizer
from tokendistill.rationales.marks import Marks
from tokendistill.tasks.example import Example, TemplateBuilder

ANIMALS = {"cat": "pet", "dog": "pet", "fox": "wild", "wolf": "wild"}
FILLER = ["the", "a", "big", "small", "red", "blue", "old", "young", "happy", "sad"]


def make_examples(n: int, seed: int) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 6))]
        animal = rng.choice(sorted(ANIMALS))
        words.insert(rng.randint(0, len(words)), animal)
        text, spans = TemplateBuilder().template("story: ").content(" ".join(words)).build()
        meta = {"animal": animal}
        out.append(Example(f"s{seed}-{i}", text, spans, label=ANIMALS[animal], meta=meta))
    return out


@dataclass(frozen=True)
class ExactMatch:
    """A task scorer with the interface of tokendistill.tasks (score, label_set)."""

    label_set: tuple[str, ...] | None = ("pet", "wild")

    def score(self, prediction: str, example: Example) -> float:
        return float(prediction.strip() == example.label)


def animal_rationales(examples: list[Example]) -> dict[str, str]:
    return {ex.id: ex.meta["animal"] for ex in examples}


def animal_marks(examples: list[Example], *, all_marked: bool = False) -> dict[str, Marks]:
    """Guided students' marks: the animal word marked, the other content words unmarked (or
    every word marked)."""
    out = {}
    for ex in examples:
        start, end = ex.content_spans[0]
        words = [m.span() for m in re.finditer(r"\w+", ex.text[:end]) if m.start() >= start]
        if all_marked:
            out[ex.id] = Marks(tuple(words), tuple(1 / len(words) for _ in words), ())
            continue
        animal = next(s for s in words if ex.text[s[0] : s[1]] == ex.meta["animal"])
        out[ex.id] = Marks((animal,), (1.0,), tuple(s for s in words if s != animal))
    return out


@functools.cache
def toy_tokenizer():
    """Built once: build_tiny_tokenizer assigns ids in a different order on every call (BPE
    merge ties), and runs compared with each other must share one vocabulary."""
    return build_tiny_tokenizer([" ".join(FILLER), " ".join(ANIMALS), "pet wild story hints"])


TRAIN, VALID, TEST = make_examples(64, 1), make_examples(48, 2), make_examples(32, 3)


@pytest.fixture(scope="session")
def toy():
    """This module: examples, scorer, rationales and tokenizer of the toy task."""
    return sys.modules[__name__]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models gain nothing from intra-op threads, and on 2 shared cores spinning thread
    pools slow a run down about tenfold (measured: 1.5 s vs 14 s for one toy training run)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
