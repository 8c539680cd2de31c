"""Which dtype a model's weights are loaded in, and what the machine must offer for a setting.

Weights that training updates in full stay float32 whatever ``precision`` says: mixed
precision computes in bf16/fp16 under autocast but keeps float32 master weights, or small
updates would vanish in rounding. Everything else (inference, attribution, the frozen base of
a LoRA model) is loaded directly in the precision's dtype, which halves its memory.
"""

from __future__ import annotations

import importlib.util

import torch
from transformers import BitsAndBytesConfig

from tokendistill.errors import ModelSpecError
from tokendistill.models.config import ModelConfig, Precision

DTYPES: dict[Precision, torch.dtype] = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def weight_dtype(config: ModelConfig, *, train: bool) -> torch.dtype:
    """The dtype to load ``config``'s weights in (see the module docstring)."""
    if train and config.peft is None:
        return torch.float32
    return DTYPES[config.precision]


def check_machine(config: ModelConfig, *, train: bool) -> None:
    """ModelSpecError (one sentence naming the setting) when this machine or the setting's
    combination cannot honour ``config``; nothing is loaded before this check."""
    cuda = torch.cuda.is_available()
    if config.precision == "fp16" and not cuda:
        raise ModelSpecError(
            f"precision: fp16 for '{config.name}' needs a CUDA GPU (there is no fp16 mixed "
            "precision on this machine); use bf16 or fp32.",
            "precision",
        )
    if config.quantization is None:
        return
    if not cuda:
        raise ModelSpecError(
            f"quantization: {config.quantization} for '{config.name}' needs a CUDA GPU, the only "
            "device bitsandbytes supports here; remove quantization or run on a GPU.",
            "quantization",
        )
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelSpecError(
            f"quantization: {config.quantization} for '{config.name}' needs the bitsandbytes "
            "package (pip install bitsandbytes).",
            "quantization",
        )
    if train and config.peft is None:
        raise ModelSpecError(
            f"'{config.name}' is quantized ({config.quantization}) and so cannot be trained in "
            "full; add peft (LoRA) or remove quantization.",
            "quantization",
        )


def quantization_config(config: ModelConfig) -> BitsAndBytesConfig | None:
    """transformers' ``BitsAndBytesConfig`` for ``config.quantization`` (None without one):
    NF4 with the compute in ``precision`` for 4-bit, LLM.int8 for 8-bit."""
    if config.quantization is None:
        return None
    if config.quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=DTYPES[config.precision],
        bnb_4bit_use_double_quant=True,
    )
