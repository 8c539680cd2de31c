"""LoRA adapters through ``peft``: add them before training, merge them into the base after.

Only the adapters train; the base weights stay frozen in the model's ``precision`` (and, with
``quantization``, in 4 or 8 bits: peft's k-bit preparation runs first). The model this tool
keeps is the merged one, a plain transformers folder that every stage, and any user, loads
without peft; the adapter is saved too, for those who want it alone.
"""

from __future__ import annotations

from peft import LoraConfig, PeftModel, TaskType, get_peft_model, prepare_model_for_kbit_training
from torch import nn
from transformers import PreTrainedModel

from tokendistill.errors import ModelSpecError
from tokendistill.models.config import LoraSettings


def add_lora(
    model: PreTrainedModel, settings: LoraSettings, *, quantized: bool, checkpointing: bool
) -> PeftModel:
    """``model`` wrapped with fresh LoRA adapters (initialised by peft: B = 0, so the wrapped
    model computes exactly what ``model`` did until it trains)."""
    if quantized:
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    task = TaskType.SEQ_2_SEQ_LM if model.config.is_encoder_decoder else TaskType.CAUSAL_LM
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type=task,
    )
    return get_peft_model(model, config)


def check_lora_targets(model: PreTrainedModel, settings: LoraSettings) -> None:
    """ModelSpecError when ``settings.target_modules`` match no module of ``model`` (a
    skeleton on the meta device will do: nothing is computed)."""
    try:
        add_lora(model, settings, quantized=False, checkpointing=False)
    except ValueError as err:
        message = str(err).splitlines()[0]
        raise ModelSpecError(message, "peft") from None


def has_lora(model: nn.Module) -> bool:
    """Whether ``model`` carries peft adapters."""
    return isinstance(model, PeftModel)


def merge_lora(model: PeftModel) -> PreTrainedModel:
    """The base model with the adapters' updates merged into its weights (in place: ``model``
    must not be used afterwards)."""
    return model.merge_and_unload()
