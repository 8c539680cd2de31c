"""``load_adapter``: the one way from a model config to a ready ``ModelAdapter``.

It covers every spec kind (see ``spec.py``): tiny models are built here from scratch, with a
tokenizer trained on ``corpus``; packaged, local and Hub models are loaded by ``load_model``;
``folder`` loads a model this tool saved earlier (a fine-tuned teacher or student) under the
same config. The adapter's architecture follows the loaded model, and its prompt and target
settings are the config's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.models.loading import load_model
from tokendistill.models.spec import parse_spec, spec_kind
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq


def load_adapter(
    config: ModelConfig,
    *,
    corpus: Iterable[str] = (),
    seed: int = 0,
    folder: str | Path | None = None,
    device: torch.device | None = None,
) -> ModelAdapter:
    """An adapter over the model ``config`` names (or the saved ``folder``), placed on
    ``device`` when given (in eval mode then: a saved model is used for inference).

    ``corpus`` and ``seed`` only matter for tiny models: the texts their tokenizer learns
    (the task's text plus every template string prompts will contain) and their weights' seed.
    """
    if folder is not None:
        loaded = load_model(str(folder), trust_remote_code=config.trust_remote_code)
        model, tokenizer = loaded.model, loaded.tokenizer
    elif spec_kind(parse_spec(config.name)) == "tiny":
        model, tokenizer = _build_tiny(config, corpus, seed)
    else:
        loaded = load_model(config.name, trust_remote_code=config.trust_remote_code)
        model, tokenizer = loaded.model, loaded.tokenizer
    if device is not None:
        model = model.eval().to(device)
    return make_adapter(model, tokenizer, config)


def _build_tiny(
    config: ModelConfig, corpus: Iterable[str], seed: int
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    seq2seq = config.name == "tiny-seq2seq"
    texts = [*corpus, config.answer_prefix]
    tokenizer = build_tiny_tokenizer(texts, vocab_size=config.tiny_vocab, add_eos=seq2seq)
    if seq2seq:
        model = tiny_seq2seq(tokenizer, d_model=config.tiny_size, layers=config.tiny_layers, seed=seed)
    else:
        model = tiny_causal(tokenizer, hidden=config.tiny_size, layers=config.tiny_layers, seed=seed)
    return model, tokenizer
