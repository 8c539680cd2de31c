"""Run by ``test_attribution_sharding`` under ``accelerate launch``: attribute tiny-model
examples with ``attribute_sharded`` into ``<out>/batch1`` and ``<out>/batch3``.

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
from tokendistill.attribution.sharding import attribute_sharded
from tokendistill.models.adapter import make_adapter

if __package__:  # imported by the test
    from .helpers import QUESTIONS, make_example
else:  # run as a script by `accelerate launch`: its folder is on sys.path
    from helpers import QUESTIONS, make_example

# 8 examples with unique ids (the questions twice): 4 per rank.
EXAMPLES = [make_example(i, q, a) for i, (q, a) in enumerate(QUESTIONS * 2)]


def run(model_dir: Path, out: Path, state=None) -> None:
    """Both configurations; ``state`` None means the real ``PartialState`` of this launch."""
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    adapter = make_adapter(model, AutoTokenizer.from_pretrained(model_dir))
    attribute_sharded(
        adapter,
        EXAMPLES,
        "saliency",
        out_dir=out / "batch1",
        split="t",
        settings=AttributionSettings(batch_size=1, max_new_tokens=3),
        state=state,
    )
    attribute_sharded(
        adapter,
        EXAMPLES,
        get_method("integrated_gradients", n_steps=4),
        out_dir=out / "batch3",
        split="t",
        settings=AttributionSettings(batch_size=3, max_new_tokens=3),
        state=state,
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    from tokendistill.attribution.sharding import default_state

    state = default_state()
    print(f"rank {state.process_index} of {state.num_processes} ({state.distributed_type})", flush=True)
    run(Path(sys.argv[1]), Path(sys.argv[2]))
