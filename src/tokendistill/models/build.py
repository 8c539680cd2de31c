"""``load_adapter``: the one way from a model config to a ready ``ModelAdapter``.

It covers every spec kind (see ``spec.py``): tiny models are built here from scratch, with a
tokenizer trained on ``corpus``; packaged, local and Hub models are loaded by ``load_model``;
``folder`` loads a model this tool saved earlier (a fine-tuned teacher or student) under the
same config. The config's per-model settings are applied here: the weights' dtype
(``precision.py``), bitsandbytes quantization, and for a model about to be trained, LoRA
adapters (``lora.py``). The adapter's architecture follows the loaded model, and its prompt
and target settings are the config's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.config import ModelConfig
from tokendistill.models.loading import load_model, load_model_config, load_tokenizer, model_skeleton_class
from tokendistill.models.lora import add_lora
from tokendistill.models.packaged import PACKAGED
from tokendistill.models.precision import check_machine, quantization_config, weight_dtype
from tokendistill.models.prompting import prompt_frame
from tokendistill.models.prompts import PromptCutter
from tokendistill.models.tiny import TINY_CHAT_TEMPLATE, build_tiny_tokenizer, tiny_causal, tiny_seq2seq


def load_adapter(
    config: ModelConfig,
    *,
    corpus: Iterable[str] = (),
    seed: int = 0,
    folder: str | Path | None = None,
    device: torch.device | None = None,
    train: bool = False,
) -> ModelAdapter:
    """An adapter over the model ``config`` names (or the saved ``folder``), placed on
    ``device`` when given (in eval mode then: a saved model is used for inference).

    ``train``: the model is about to be trained. Weights trained in full are then loaded in
    float32 (mixed precision's master copy) and, with ``config.peft``, LoRA adapters are
    added (only they train; the base stays in ``precision``). Otherwise the weights are
    loaded in ``precision``. ``corpus`` and ``seed`` only matter for tiny models: the texts
    their tokenizer learns (the task's text plus every template string prompts will contain)
    and their weights' seed. Settings this machine cannot honour raise ModelSpecError first.
    """
    check_machine(config, train=train)
    dtype = weight_dtype(config, train=train)
    if folder is None and config.kind == "tiny":
        model, tokenizer = _build_tiny(config, corpus, seed)
        model = model.to(dtype)
    else:
        loaded = load_model(
            config.name if folder is None else str(folder),
            trust_remote_code=config.trust_remote_code,
            dtype=dtype,
            quantization=quantization_config(config),
        )
        model, tokenizer = loaded.model, loaded.tokenizer
    if train and config.peft is not None:
        quantized = config.quantization is not None
        model = add_lora(model, config.peft, quantized=quantized, checkpointing=config.gradient_checkpointing)
    if device is not None:
        # bitsandbytes places quantized weights itself when they are loaded.
        model = model.eval() if config.quantization is not None else model.eval().to(device)
    return make_adapter(model, tokenizer, config)


def prompt_cutter(config: ModelConfig, corpus: Iterable[str] = ()) -> PromptCutter | None:
    """How ``load_adapter`` tokenises and cuts prompts for ``config``, without loading the
    model (tokenizer and config files only): what the preflight measures inputs with.

    None for a packaged model that is not built yet (building it means loading it). A tiny
    model's tokenizer is trained on ``corpus``, as ``load_adapter`` trains it.
    """
    kind = config.kind
    if kind == "packaged" and PACKAGED[config.spec.base].built_folder() is None:
        return None
    if kind == "tiny":
        tokenizer, seq2seq = _tiny_tokenizer(config, corpus), config.name == "tiny-seq2seq"
    else:
        tokenizer, seq2seq = load_tokenizer(config.name, trust_remote_code=config.trust_remote_code)
    frame = prompt_frame(tokenizer, config, answer_prefix=not seq2seq)
    return PromptCutter(tokenizer, config.max_prompt_tokens, config.truncation, frame)


def model_skeleton(config: ModelConfig, corpus: Iterable[str] = ()) -> PreTrainedModel | None:
    """``config``'s model with its modules but no weights (on the meta device): what the
    preflight checks module names against. None for a packaged model that is not built yet."""
    if config.kind == "tiny":
        with torch.device("meta"):
            return _build_tiny(config, corpus, seed=0)[0]
    model_config = load_model_config(config.name, trust_remote_code=config.trust_remote_code)
    if model_config is None:
        return None
    with torch.device("meta"):
        return model_skeleton_class(model_config).from_config(
            model_config, trust_remote_code=config.trust_remote_code
        )


def _tiny_tokenizer(config: ModelConfig, corpus: Iterable[str]) -> PreTrainedTokenizerBase:
    texts = [*corpus, config.answer_prefix]
    if config.prompt_format == "chat":
        texts += ["system user assistant :", config.system_prompt or ""]  # the template's words
    seq2seq = config.name == "tiny-seq2seq"
    tokenizer = build_tiny_tokenizer(texts, vocab_size=config.tiny_vocab, add_eos=seq2seq)
    if config.prompt_format == "chat":
        tokenizer.chat_template = TINY_CHAT_TEMPLATE
    return tokenizer


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
