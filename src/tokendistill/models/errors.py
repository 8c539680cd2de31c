"""The error types a user sees when a model spec, or a prompt, cannot be honoured.

Loading failures from transformers / huggingface_hub arrive as long multi-line OSErrors
or tracebacks that bury the actual problem. Everything in ``tokendistill.models`` turns
them into a ``ModelSpecError`` whose message is a single sentence saying what is wrong
and what to do, so the CLI can print it as is. Both are ``InputError``s (``ValueError``s):
a bad spec, or a prompt too long for the chosen policy, is a bad argument value.
"""

from __future__ import annotations

from tokendistill.errors import InputError


class ModelSpecError(InputError):
    """A model spec (hub name, folder, packaged short name, layer-cut suffix) that cannot be
    loaded, or a model setting (precision, quantization, chat format) it cannot be run with;
    ``setting`` names that setting's key (``name`` for the spec itself), for config errors."""

    def __init__(self, message: str, setting: str = "name") -> None:
        super().__init__(message)
        self.setting = setting


class PromptTooLong(InputError):
    """A prompt longer than ``max_prompt_tokens`` under the ``truncation: error`` policy."""
