"""Model construction for the pipeline: packaged / hub / local models, or tiny ones built here."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tokendistill.attribution.sharding import default_state
from tokendistill.config import ModelConfig
from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.loading import load_model
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tokendistill.training.rows import EXPLAIN_PREFIX, HINTS_SEPARATOR, PREDICT_PREFIX

TINY = ("tiny-causal", "tiny-seq2seq")


def build_model(
    config: ModelConfig, corpus: Iterable[str], *, seed: int = 0
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load ``config.name``; ``tiny-*`` names are initialised from scratch with a tokenizer
    trained on ``corpus`` (the task's training text), so they need no download."""
    if config.name not in TINY:
        loaded = load_model(config.name, trust_remote_code=config.trust_remote_code)
        return loaded.model, loaded.tokenizer
    seq2seq = config.name == "tiny-seq2seq"
    texts = [*corpus, PREDICT_PREFIX, EXPLAIN_PREFIX, HINTS_SEPARATOR, config.answer_prefix]
    tokenizer = build_tiny_tokenizer(texts, vocab_size=config.tiny_vocab, add_eos=seq2seq)
    if seq2seq:
        model = tiny_seq2seq(tokenizer, d_model=config.tiny_size, layers=config.tiny_layers, seed=seed)
    else:
        model = tiny_causal(tokenizer, hidden=config.tiny_size, layers=config.tiny_layers, seed=seed)
    return model, tokenizer


def adapter_for(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, config: ModelConfig
) -> ModelAdapter:
    return make_adapter(
        model,
        tokenizer,
        max_prompt_tokens=config.max_prompt_tokens,
        max_target_tokens=config.max_target_tokens,
        answer_prefix=config.answer_prefix,
    )


def inference_device() -> torch.device:
    """This process's accelerator (its own GPU under ``accelerate launch``), else the CPU;
    the same process state as attribution sharding, so the first caller cannot set it up
    differently from the other."""
    return default_state().device


def load_saved(folder: str, config: ModelConfig) -> ModelAdapter:
    """An adapter over a model folder this pipeline saved (teacher or student), placed on
    the inference device so attribution and analysis run where the training did."""
    loaded = load_model(folder, trust_remote_code=config.trust_remote_code)
    return adapter_for(loaded.model.eval().to(inference_device()), loaded.tokenizer, config)
