"""Run by ``test_attribution_sharding`` under ``accelerate launch``: attribute tiny-model
examples with ``attribute_to_artifact`` into ``<out>/batch1``, ``<out>/batch3`` and
``<out>/resumed`` (whose work folder the test may have seeded with a killed run's parts).

The model and tokenizer are loaded from a folder the test saved, as a real run loads its
teacher: every rank then attributes the very same weights and vocabulary, however the tiny
builders behave across processes (an in-memory-trained BPE once gave each process its own ids).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from tokendistill.attribution import AttributionSettings, get_method
from tokendistill.attribution.artifact import attribute_to_artifact
from tokendistill.models.adapter import ModelAdapter, make_adapter

if __package__:  # imported by the test
    from .helpers import QUESTIONS, make_example
else:  # run as a script by `accelerate launch`: its folder is on sys.path
    from helpers import QUESTIONS, make_example

# 8 examples with unique ids (the questions twice): 4 per rank.
EXAMPLES = [make_example(i, q, a) for i, (q, a) in enumerate(QUESTIONS * 2)]
BATCH1 = AttributionSettings(batch_size=1, max_new_tokens=3)


def load(model_dir: Path) -> ModelAdapter:
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    return make_adapter(model, AutoTokenizer.from_pretrained(model_dir))


def saliency(adapter: ModelAdapter, folder: Path, state=None, chunk_size: int = 3, on_progress=None) -> Path:
    """One example per batch: scores do not depend on batching, so any split of the work
    (ranks, chunks, a kill and a resume) gives the same bytes."""
    return attribute_to_artifact(
        adapter,
        EXAMPLES,
        "saliency",
        split="t",
        settings=BATCH1,
        out_path=folder / "attributions.parquet",
        work_dir=folder / "parts",
        chunk_size=chunk_size,
        state=state,
        on_progress=on_progress,
    )


def run(model_dir: Path, out: Path, state=None) -> None:
    """Every configuration; ``state`` None means the real ``PartialState`` of this launch."""
    adapter = load(model_dir)
    saliency(adapter, out / "batch1", state, chunk_size=256)
    attribute_to_artifact(
        adapter,
        EXAMPLES,
        get_method("integrated_gradients", n_steps=4),
        split="t",
        settings=AttributionSettings(batch_size=3, max_new_tokens=3),
        out_path=out / "batch3" / "attributions.parquet",
        work_dir=out / "batch3" / "parts",
        state=state,
    )
    saliency(adapter, out / "resumed", state)


if __name__ == "__main__":
    torch.set_num_threads(1)
    from tokendistill.distributed import default_state

    state = default_state()
    print(f"rank {state.process_index} of {state.num_processes} ({state.distributed_type})", flush=True)
    run(Path(sys.argv[1]), Path(sys.argv[2]))
