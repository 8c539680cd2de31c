"""Per-model settings: validation, the weights' dtype, what a CPU-only machine refuses, LoRA."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from tokendistill.errors import ModelSpecError
from tokendistill.models.build import load_adapter
from tokendistill.models.config import LoraSettings, ModelConfig
from tokendistill.models.lora import has_lora
from tokendistill.models.precision import weight_dtype
from tolerances import FORMULA, assert_close

CORPUS = ["the cat sat on the mat", "yes no"]


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"system_prompt": "be brief"}, "system_prompt applies only to prompt_format: chat"),
        ({"prompt_format": "chat", "answer_prefix": "A:"}, "answer_prefix does not apply"),
        ({"precision": "fp8"}, "'fp32', 'bf16' or 'fp16'"),
        ({"quantization": "4bit"}, "quantization applies to pretrained models"),
        ({"peft": {"r": 0}}, "greater than or equal to 1"),
        ({"peft": {"rank": 8}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_settings_fail_when_validated(settings: dict, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        ModelConfig(name="tiny-causal", **settings)


def test_defaults_are_todays_behaviour() -> None:
    config = ModelConfig(name="tiny-causal")
    assert (config.precision, config.prompt_format, config.peft, config.quantization) == (
        "fp32",
        "plain",
        None,
        None,
    )
    assert not config.gradient_checkpointing
    assert load_adapter(config, corpus=CORPUS).model.dtype == torch.float32


def test_weights_trained_in_full_stay_float32() -> None:
    bf16 = ModelConfig(name="tiny-causal", precision="bf16")
    lora = bf16.model_copy(update={"peft": LoraSettings()})
    assert weight_dtype(bf16, train=True) == torch.float32  # mixed precision's master weights
    assert weight_dtype(bf16, train=False) == torch.bfloat16
    assert weight_dtype(lora, train=True) == torch.bfloat16  # the frozen base of a LoRA model
    assert load_adapter(bf16, corpus=CORPUS).model.dtype == torch.bfloat16
    assert load_adapter(bf16, corpus=CORPUS, train=True).model.dtype == torch.float32


@pytest.mark.skipif(torch.cuda.is_available(), reason="the errors are for machines without CUDA")
@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"name": "tiny-causal", "precision": "fp16"}, "precision: fp16 for 'tiny-causal' needs a CUDA GPU"),
        (
            {"name": "minilm-encdec", "quantization": "4bit"},
            "quantization: 4bit for 'minilm-encdec' needs a CUDA",
        ),
    ],
)
def test_settings_this_machine_cannot_run_fail_in_one_sentence(settings: dict, says: str) -> None:
    with pytest.raises(ModelSpecError) as err:
        load_adapter(ModelConfig(**settings), corpus=CORPUS)
    assert str(err.value).startswith(says) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["tiny-causal", "tiny-seq2seq"])
def test_lora_wraps_only_a_model_about_to_train(name: str) -> None:
    config = ModelConfig(name=name, peft=LoraSettings(r=4, alpha=8))
    plain = load_adapter(config, corpus=CORPUS, seed=3)
    adapted = load_adapter(config, corpus=CORPUS, seed=3, train=True)
    assert not has_lora(plain.model) and has_lora(adapted.model)
    trainable = {n for n, p in adapted.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    # Fresh adapters change nothing until they train (peft initialises B to zero).
    batch = plain.encode(["the cat sat"], ["yes"])
    assert_close(adapted.target_logprobs(batch), plain.target_logprobs(batch), FORMULA)
