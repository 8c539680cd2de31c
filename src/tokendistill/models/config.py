"""How a model is named, loaded and run, and how its prompts and targets are cut: every default
defined here once."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tokendistill.errors import ModelSpecError
from tokendistill.models.prompts import Truncation
from tokendistill.models.spec import ModelSpec, SpecKind, check_spec

Precision = Literal["fp32", "bf16", "fp16"]
PromptFormat = Literal["plain", "chat"]
Quantization = Literal["4bit", "8bit"]


class AdapterSettings(BaseModel):
    """What the adapter adds to and cuts from every prompt and target, and how it runs the model.

    In ``chat`` format the prompt is the user's message in the tokenizer's chat template (after
    ``system_prompt``), ending with the template's assistant turn. Template tokens carry no
    character offsets, so they are never content and never a rationale, and the answer follows
    the assistant turn, so ``answer_prefix`` does not apply. The ``truncation`` policies are in
    ``prompts.py``; the preflight reports how many inputs a cut affects before a run. Training
    uses the Trainer's mixed precision under ``precision`` (weights trained in full stay
    float32); inference and attribution run the model in that dtype and accumulate scores in
    float32.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt_format: PromptFormat = Field(
        "plain", description="plain: the prompt as it is; chat: wrapped in the tokenizer's chat template"
    )
    system_prompt: str | None = Field(None, description="chat format: the system message before the prompt")
    answer_prefix: str = Field(
        "\nAnswer:", description="plain format, decoder-only models: template text between prompt and answer"
    )
    max_prompt_tokens: int = Field(512, ge=8, description="longer prompts are cut by `truncation`")
    truncation: Truncation = Field(
        "middle", description="what a cut keeps: middle (both ends), left (the end), right (the start); error"
    )
    max_target_tokens: int = Field(64, ge=2, description="longer targets (EOS included) are cut")
    precision: Precision = Field("fp32", description="the dtype the model computes in (fp16: CUDA only)")
    gradient_checkpointing: bool = Field(
        False, description="recompute activations in the backward pass: less memory, more time"
    )

    @model_validator(mode="after")
    def _chat_settings(self) -> AdapterSettings:
        if self.system_prompt is not None and self.prompt_format != "chat":
            raise ValueError("system_prompt applies only to prompt_format: chat")
        default_prefix = type(self).model_fields["answer_prefix"].default
        if self.prompt_format == "chat" and self.answer_prefix != default_prefix:
            raise ValueError(
                "answer_prefix does not apply to prompt_format: chat (the answer follows the "
                "assistant turn of the chat template); remove it"
            )
        return self


class LoraSettings(BaseModel):
    """LoRA adapters (``peft``) on the model's linear layers: only they are trained, the base
    weights stay frozen (in ``precision``). ``target_modules`` names the layers (module name
    suffixes such as ``q_proj``) or ``all-linear`` (every linear layer but the output head).
    ``dropout`` defaults to peft's 0: dropout on the adapters' input keeps a copy of every
    adapted layer's input for the backward pass (measured: +20 % of a SmolLM2 training step's
    peak memory at 0.05, benchmarks/RESULTS.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    r: int = Field(16, ge=1, description="the adapters' rank")
    alpha: float = Field(32.0, gt=0, description="the adapters' scaling (alpha / r)")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout on the adapters' input")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="the adapted layers' name suffixes, or all-linear"
    )


class ModelConfig(AdapterSettings):
    """A model to use: a hub name, a local folder, a packaged short name (``smollm2-135m``,
    ``minilm-encdec``, with an optional ``:layers=N`` cut), or ``tiny-causal`` /
    ``tiny-seq2seq``: a small model initialised from scratch with a tokenizer trained on the
    task's training text (demos and tests). The spec is checked when the config is validated.

    ``peft`` trains LoRA adapters instead of every weight; the model this tool keeps after
    training is the merged one (a plain transformers folder), with the adapter alone saved in
    its ``adapter/`` subfolder. ``quantization`` loads the base weights in 4 or 8 bits with
    bitsandbytes (a CUDA GPU only; a quantized model is trained through ``peft`` only).
    """

    name: str = Field(description="a hub name, local folder, packaged name or tiny-causal / tiny-seq2seq")
    trust_remote_code: bool = Field(False, description="run a hub model's own code")
    peft: LoraSettings | None = Field(None, description="train LoRA adapters instead of every weight")
    quantization: Quantization | None = Field(
        None, description="load the base weights in 4 or 8 bits (bitsandbytes, CUDA only)"
    )
    tiny_size: int = Field(64, ge=16, description="hidden size of tiny-* models")
    tiny_layers: int = Field(2, ge=1, description="layers of tiny-* models")
    tiny_vocab: int = Field(600, ge=64, description="BPE vocabulary size of tiny-* tokenizers")

    # ``name`` parsed and checked once, by validation: (the name it was parsed from, spec, kind).
    _parsed: tuple[str, ModelSpec, SpecKind] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _valid_spec(self) -> ModelConfig:
        try:
            kind = self.kind
        except ModelSpecError as error:  # reported at the `name` key, as a field error would be
            problem = PydanticCustomError("model_spec", "{problem}", {"problem": str(error)})
            details = InitErrorDetails(type=problem, loc=("name",), input=self.name)
            raise ValidationError.from_exception_data(type(self).__name__, [details]) from None
        if self.quantization is not None and kind == "tiny":
            raise ValueError(f"quantization applies to pretrained models, not to {self.name}")
        return self

    @property
    def spec(self) -> ModelSpec:
        """``name`` parsed: the base model and the layer cut."""
        return self._resolved()[0]

    @property
    def kind(self) -> SpecKind:
        """What ``name`` names: a tiny, packaged, local or Hub model."""
        return self._resolved()[1]

    def _resolved(self) -> tuple[ModelSpec, SpecKind]:
        if self._parsed is None or self._parsed[0] != self.name:  # a copy with another name
            self._parsed = (self.name, *check_spec(self.name))
        return self._parsed[1], self._parsed[2]
