"""``load_model(spec)``: a pretrained spec (packaged, local folder or Hub; see ``spec.py``)
to a (model, fast tokenizer) pair. Tiny models are built, not loaded: ``build.load_adapter``.

The architecture follows ``config.is_encoder_decoder`` (seq2seq vs causal LM). Weights
are read from safetensors whenever the folder has them and remote code is off unless
asked for. The tokenizer must be a fast one: attribution maps tokens back to characters
through offset mappings, which only Rust tokenizers provide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from tokendistill.errors import ModelSpecError
from tokendistill.models.hub_errors import first_line, hub_errors
from tokendistill.models.layer_cut import cut_layers
from tokendistill.models.packaged import PACKAGED
from tokendistill.models.spec import check_spec

Architecture = Literal["seq2seq", "causal"]
DType = torch.dtype | str | None

# What save_pretrained writes for the weights (single file or sharded with an index).
_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# Any of these next to config.json means a tokenizer was saved with the model.
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "spiece.model",
    "sentencepiece.bpe.model",
    "vocab.json",
    "vocab.txt",
)


@dataclass
class LoadedModel:
    """A loaded model with its tokenizer and where it came from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    spec: str
    architecture: Architecture
    source: str
    kept_layers: dict[str, list[int]] | None = field(default=None)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def load_model(
    spec: str,
    *,
    trust_remote_code: bool = False,
    dtype: DType = None,
    cache_dir: str | os.PathLike[str] | None = None,
    quantization: BitsAndBytesConfig | None = None,
) -> LoadedModel:
    """Load the model and fast tokenizer named by ``spec`` (see the module docstring).

    ``dtype`` defaults to float32 (transformers 5 would otherwise keep a checkpoint's bf16);
    ``build.load_adapter`` picks it from the model config (``precision.weight_dtype``). ``cache_dir`` is the
    Hugging Face download cache for Hub names; packaged models live in the tokendistill
    cache (``$TOKENDISTILL_CACHE``, default ``~/.cache/tokendistill``). ``quantization``
    (bitsandbytes, see ``precision.quantization_config``) is handed to ``from_pretrained``.
    Every failure caused by the spec raises ModelSpecError with a one-sentence message.
    """
    parsed, kind = check_spec(spec)
    weights: dict = {"dtype": torch.float32 if dtype is None else dtype}
    if quantization is not None:
        # bitsandbytes places the weights as it quantizes them: on this process's GPU.
        weights.update(quantization_config=quantization, device_map={"": torch.cuda.current_device()})
    base = parsed.base
    if kind == "tiny":
        raise ModelSpecError(
            f"'{base}' is built from scratch with a tokenizer trained on the task's text; "
            "load it with tokendistill.models.build.load_adapter."
        )
    if kind == "packaged":
        packaged = PACKAGED[base]
        folder = packaged.folder()
        model, tokenizer = _load_folder(folder, weights, trust_remote_code=False)
        source = f"packaged model {base}: {packaged.description} (cached at {folder})"
    elif kind == "local":
        folder = _check_folder(Path(base).expanduser())
        model, tokenizer = _load_folder(folder, weights, trust_remote_code=trust_remote_code)
        source = f"local folder {folder}"
    else:
        name = base
        model, tokenizer = _load_hub(name, weights, trust_remote_code=trust_remote_code, cache_dir=cache_dir)
        source = f"Hugging Face Hub model {name}"
    kept = cut_layers(model, parsed.layers) if parsed.layers is not None else None
    architecture: Architecture = "seq2seq" if model.config.is_encoder_decoder else "causal"
    _ensure_pad_token(model, tokenizer, architecture)
    return LoadedModel(model, tokenizer, spec, architecture, source, kept)


def load_tokenizer(spec: str, *, trust_remote_code: bool = False) -> tuple[PreTrainedTokenizerBase, bool]:
    """The fast tokenizer of a packaged, local or Hub spec and whether the model is an
    encoder-decoder, read without loading any weights (config and tokenizer files only).

    A packaged model must have been built already (``PackagedModel.built_folder``). Fails
    with the ModelSpecError that loading the model would give for the same reason.
    """
    parsed, kind = check_spec(spec)
    if kind == "hub":
        where = f"the Hugging Face Hub model '{parsed.base}'"
        with hub_errors(parsed.base):
            config = AutoConfig.from_pretrained(parsed.base, trust_remote_code=trust_remote_code)
            tokenizer = AutoTokenizer.from_pretrained(parsed.base, trust_remote_code=trust_remote_code)
    else:
        folder = (
            PACKAGED[parsed.base].built_folder() if kind == "packaged" else Path(parsed.base).expanduser()
        )
        if folder is None:
            raise ModelSpecError(f"the packaged model {parsed.base} is not built yet.")
        where = f"the folder '{_check_folder(folder)}'"
        config, tokenizer = _folder_config_and_tokenizer(folder, where, trust_remote_code)
    _check_fast(tokenizer, where)
    return tokenizer, bool(config.is_encoder_decoder)


def load_model_config(spec: str, *, trust_remote_code: bool = False) -> PretrainedConfig | None:
    """The transformers config of a packaged, local or Hub spec (no weights, no tokenizer);
    None for a packaged model that is not built yet."""
    parsed, kind = check_spec(spec)
    if kind == "hub":
        with hub_errors(parsed.base):
            return AutoConfig.from_pretrained(parsed.base, trust_remote_code=trust_remote_code)
    folder = PACKAGED[parsed.base].built_folder() if kind == "packaged" else Path(parsed.base).expanduser()
    if folder is None:
        return None
    where = f"the folder '{_check_folder(folder)}'"
    try:
        return AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as err:
        raise ModelSpecError(_describe_local_error(where, err, trust_remote_code)) from err


def model_skeleton_class(
    config: PretrainedConfig,
) -> type[AutoModelForSeq2SeqLM] | type[AutoModelForCausalLM]:
    """The auto class that builds ``config``'s model."""
    return _auto_class(config)


def _check_folder(folder: Path) -> Path:
    if not folder.is_dir():
        raise ModelSpecError(
            f"'{folder}' is a file, but a model spec needs a folder saved with save_pretrained."
        )
    if not (folder / "config.json").is_file():
        raise ModelSpecError(
            f"the folder '{folder}' has no config.json, so it is not a saved transformers model."
        )
    if not any((folder / name).is_file() for name in _WEIGHT_FILES):
        raise ModelSpecError(
            f"the folder '{folder}' has a config.json but no model weights "
            "(model.safetensors or pytorch_model.bin)."
        )
    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelSpecError(
            f"the folder '{folder}' has a model but no tokenizer; save the tokenizer there too "
            "(tokenizer.save_pretrained)."
        )
    return folder


def _folder_config_and_tokenizer(
    folder: Path, where: str, trust_remote_code: bool
) -> tuple[PretrainedConfig, PreTrainedTokenizerBase]:
    """A saved folder's config and tokenizer; a one-sentence ModelSpecError when unreadable."""
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as err:
        raise ModelSpecError(_describe_local_error(where, err, trust_remote_code)) from err
    return config, tokenizer


def _load_folder(
    folder: Path, weights: dict, *, trust_remote_code: bool
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    where = f"the folder '{folder}'"
    config, tokenizer = _folder_config_and_tokenizer(folder, where, trust_remote_code)
    _check_fast(tokenizer, where)
    has_safetensors = any(folder.glob("*.safetensors"))
    try:
        model = _auto_class(config).from_pretrained(
            folder,
            config=config,
            trust_remote_code=trust_remote_code,
            use_safetensors=True if has_safetensors else None,
            **weights,
        )
    except (OSError, ValueError) as err:
        raise ModelSpecError(_describe_local_error(where, err, trust_remote_code, config)) from err
    return model, tokenizer


def _load_hub(
    name: str, weights: dict, *, trust_remote_code: bool, cache_dir: str | os.PathLike[str] | None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    common = {"trust_remote_code": trust_remote_code, "cache_dir": cache_dir}
    where = f"the Hugging Face Hub model '{name}'"
    config: PretrainedConfig | None = None
    try:
        with hub_errors(name):
            config = AutoConfig.from_pretrained(name, **common)
            tokenizer = AutoTokenizer.from_pretrained(name, **common)
            _check_fast(tokenizer, where)
            # use_safetensors=None: take safetensors when the repository has them, else the
            # .bin file (read with torch.load(weights_only=True), never full pickle).
            model = _auto_class(config).from_pretrained(name, config=config, **weights, **common)
    except ModelSpecError:
        raise
    except (ValueError, KeyError) as err:
        raise ModelSpecError(_describe_local_error(where, err, trust_remote_code, config)) from err
    return model, tokenizer


def _auto_class(config: PretrainedConfig) -> type[AutoModelForSeq2SeqLM] | type[AutoModelForCausalLM]:
    return AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM


def _check_fast(tokenizer: PreTrainedTokenizerBase, where: str) -> None:
    if not getattr(tokenizer, "is_fast", False):
        raise ModelSpecError(
            f"the tokenizer of {where} is not a fast (Rust) tokenizer, which is needed for character offsets."
        )


def _ensure_pad_token(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, architecture: Architecture
) -> None:
    """Causal LMs often ship without a pad token; batching needs one, and EOS is the usual choice."""
    if tokenizer.pad_token is None and architecture == "causal" and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.pad_token_id is not None and model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def _describe_local_error(
    where: str, err: BaseException, trust_remote_code: bool, config: PretrainedConfig | None = None
) -> str:
    message = str(err)
    if "trust_remote_code" in message and not trust_remote_code:
        return f"{where} needs custom code from its repository; pass trust_remote_code=True if you trust it."
    if config is not None and "Unrecognized configuration class" in message:
        kind = "sequence-to-sequence" if config.is_encoder_decoder else "causal"
        return (
            f"{where} is a '{config.model_type}' model, "
            f"which transformers cannot load as a {kind} language model."
        )
    return f"could not load {where} ({first_line(err)})."
