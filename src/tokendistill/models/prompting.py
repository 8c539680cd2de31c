"""The token frame around every prompt: what the adapter adds before and after the prompt's own
tokens (template text, which never carries a character offset and so is never a rationale).

* ``plain``: the tokenizer's special tokens (BOS/EOS as its post-processor adds them) and, for
  decoder-only models, the ``answer_prefix`` after the prompt;
* ``chat``: the tokenizer's chat template rendered around a placeholder user message (after
  an optional system message, with the assistant turn opened), split at the placeholder into
  the text before and after it. The pieces are tokenised apart from the prompt, so the
  prompt's own tokens and character offsets are exactly those of the prompt alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import TemplateError
from transformers import PreTrainedTokenizerBase

from tokendistill.errors import ModelSpecError

if TYPE_CHECKING:  # the settings import the prompt cutter, which imports this frame
    from tokendistill.models.config import AdapterSettings

# Stands for the user's message while the template is rendered; it must come out verbatim.
PLACEHOLDER = "TokenDistillPromptPlaceholder"  # mixed case: a case change shows


@dataclass(frozen=True)
class PromptFrame:
    """Token ids that enclose every prompt: ``before`` + prompt tokens + ``after``.

    ``special_tokens``: whether the tokenizer adds its own special tokens to the prompt
    (``plain``; in ``chat`` format the template already holds whatever the model expects).
    """

    before: tuple[int, ...] = ()
    after: tuple[int, ...] = ()
    special_tokens: bool = True

    def __len__(self) -> int:
        return len(self.before) + len(self.after)


def prompt_frame(
    tokenizer: PreTrainedTokenizerBase, settings: AdapterSettings, *, answer_prefix: bool
) -> PromptFrame:
    """The frame ``settings`` ask for; ``answer_prefix``: whether a plain prompt is followed by
    ``settings.answer_prefix`` (decoder-only models)."""
    if settings.prompt_format == "chat":
        before, after = chat_template_text(tokenizer, settings.system_prompt)
        return PromptFrame(_ids(tokenizer, before), _ids(tokenizer, after), special_tokens=False)
    suffix = settings.answer_prefix if answer_prefix else ""
    return PromptFrame(after=_ids(tokenizer, suffix))


def chat_template_text(tokenizer: PreTrainedTokenizerBase, system_prompt: str | None) -> tuple[str, str]:
    """The chat template's text before and after the user's message; ModelSpecError (one
    sentence) when the tokenizer has no template or the template cannot frame a message."""
    name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
    if not getattr(tokenizer, "chat_template", None):
        raise ModelSpecError(
            f"the tokenizer of '{name}' has no chat template; use prompt_format: plain.", "prompt_format"
        )
    messages = [{"role": "user", "content": PLACEHOLDER}]
    if system_prompt is not None:
        messages.insert(0, {"role": "system", "content": system_prompt})
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except TemplateError as err:
        raise ModelSpecError(
            f"the chat template of '{name}' cannot render the prompt ({err}).", "prompt_format"
        ) from err
    if not isinstance(text, str) or text.count(PLACEHOLDER) != 1:
        raise ModelSpecError(
            f"the chat template of '{name}' does not render the user's message once and verbatim; "
            "use prompt_format: plain.",
            "prompt_format",
        )
    before, after = text.split(PLACEHOLDER)
    return before, after


def _ids(tokenizer: PreTrainedTokenizerBase, text: str) -> tuple[int, ...]:
    return tuple(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else ()
