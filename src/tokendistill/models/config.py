"""How a model is named and how its prompts and targets are cut: every default defined here once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tokendistill.models.prompts import Truncation
from tokendistill.models.spec import check_spec


class AdapterSettings(BaseModel):
    """What the adapter adds to and cuts from every prompt and target, for any model.

    ``answer_prefix`` follows the prompt of a decoder-only model (template text, never a
    rationale). A prompt longer than ``max_prompt_tokens`` is cut by the ``truncation``
    policy (see ``prompts.py``: ``middle`` keeps its beginning and its end, ``left`` its end,
    ``right`` its beginning, ``error`` refuses); the preflight reports how many inputs that
    affects before a run. Targets longer than ``max_target_tokens`` (EOS included) are cut.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_prefix: str = "\nAnswer:"
    max_prompt_tokens: int = Field(512, ge=8)
    truncation: Truncation = "middle"
    max_target_tokens: int = Field(64, ge=2)


class ModelConfig(AdapterSettings):
    """A model to use: a hub name, a local folder, a packaged short name (``smollm2-135m``,
    ``minilm-encdec``, with an optional ``:layers=N`` cut), or ``tiny-causal`` /
    ``tiny-seq2seq``: a small model initialised from scratch with a tokenizer trained on the
    task's training text (demos and tests). The spec is checked when the config is validated."""

    name: str
    trust_remote_code: bool = False
    tiny_size: int = Field(64, ge=16, description="hidden size of tiny-* models")
    tiny_layers: int = Field(2, ge=1)
    tiny_vocab: int = Field(600, ge=64, description="BPE vocabulary size of tiny-* tokenizers")

    @field_validator("name")
    @classmethod
    def _valid_spec(cls, name: str) -> str:
        check_spec(name)  # ModelSpecError is a ValueError: pydantic names the key
        return name
