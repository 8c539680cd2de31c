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
from tokendistill.models.loading import load_model, load_tokenizer
from tokendistill.models.packaged import PACKAGED
from tokendistill.models.prompts import PromptCutter, answer_prefix_ids
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


def prompt_cutter(config: ModelConfig, corpus: Iterable[str] = ()) -> PromptCutter | None:
    """How ``load_adapter`` tokenises and cuts prompts for ``config``, without loading the
    model (tokenizer and config files only): what the preflight measures inputs with.

    None for a packaged model that is not built yet (building it means loading it). A tiny
    model's tokenizer is trained on ``corpus``, as ``load_adapter`` trains it.
    """
    kind = spec_kind(parse_spec(config.name))
    if kind == "packaged" and PACKAGED[parse_spec(config.name).base].built_folder() is None:
        return None
    if kind == "tiny":
        tokenizer, seq2seq = _tiny_tokenizer(config, corpus), config.name == "tiny-seq2seq"
    else:
        tokenizer, seq2seq = load_tokenizer(config.name, trust_remote_code=config.trust_remote_code)
    suffix = [] if seq2seq else answer_prefix_ids(tokenizer, config.answer_prefix)
    return PromptCutter(tokenizer, config.max_prompt_tokens, config.truncation, suffix)


def _tiny_tokenizer(config: ModelConfig, corpus: Iterable[str]) -> PreTrainedTokenizerBase:
    texts = [*corpus, config.answer_prefix]
    return build_tiny_tokenizer(texts, vocab_size=config.tiny_vocab, add_eos=config.name == "tiny-seq2seq")


def _build_tiny(
    config: ModelConfig, corpus: Iterable[str], seed: int
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    seq2seq = config.name == "tiny-seq2seq"
    tokenizer = _tiny_tokenizer(config, corpus)
    if seq2seq:
        model = tiny_seq2seq(tokenizer, d_model=config.tiny_size, layers=config.tiny_layers, seed=seed)
    else:
        model = tiny_causal(tokenizer, hidden=config.tiny_size, layers=config.tiny_layers, seed=seed)
    return model, tokenizer
