"""What one rank of ``test_attribution_sharding`` does: attribute tiny-model examples with
``attribute_to_artifact`` into ``<out>/batch1`` and ``<out>/batch3``.

The model and tokenizer are loaded from a folder the test saved, as a real run loads its
teacher: every rank then attributes the very same weights and vocabulary.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from tokendistill.attribution import AttributionSettings, get_method
from tokendistill.attribution.artifact import attribute_to_artifact
from tokendistill.models.adapter import ModelAdapter, make_adapter

from .helpers import QUESTIONS, make_example

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


def run(adapter: ModelAdapter, out: Path, state=None) -> None:
    """Every configuration; ``state`` None means the real ``PartialState`` of this process."""
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
