"""Several answers to one prompt, the prompt run once (a decoder-only model's cache): the same
log-probabilities as scoring every (prompt, answer) pair on its own, on both architectures
and both prompt formats."""

from __future__ import annotations

import pytest
import torch

from tokendistill.models.adapter import make_adapter
from tokendistill.models.answer_scores import answer_logprobs
from tokendistill.models.config import AdapterSettings
from tokendistill.models.tiny import TINY_CHAT_TEMPLATE, build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tolerances import BATCHING, assert_close

PROMPTS = ["premise : the cat sat on the mat . hypothesis : a cat is sitting", "a man is playing a guitar"]
# Answers of 1 to 4 tokens, a different number per prompt.
ANSWERS = [["entailment", "neutral answer", "contradiction , maybe not"], ["yes", "no"]]
BUILD = {"seq2seq": tiny_seq2seq, "causal": tiny_causal}
FORMATS = {"plain": AdapterSettings(), "chat": AdapterSettings(prompt_format="chat", system_prompt="answer")}


@pytest.fixture(scope="module")
def tokenizer():
    words = [*PROMPTS, *(a for group in ANSWERS for a in group), "system user assistant : answer"]
    tok = build_tiny_tokenizer(words)
    tok.chat_template = TINY_CHAT_TEMPLATE
    return tok


@pytest.mark.parametrize("prompt_format", sorted(FORMATS))
@pytest.mark.parametrize("architecture", sorted(BUILD))
def test_shared_prompt_equals_pairwise(tokenizer, architecture: str, prompt_format: str) -> None:
    model = BUILD[architecture](tokenizer).eval()
    with torch.no_grad():  # sharper than a random init's near-uniform output, so a wrong
        for param in model.parameters():  # position or cache row shows (checked: positions
            param.mul_(6)  # shifted by one move the log-probabilities by up to 14)
    adapter = make_adapter(model, tokenizer, FORMATS[prompt_format])
    shared = answer_logprobs(adapter, PROMPTS, ANSWERS)
    for prompt, answers, got in zip(PROMPTS, ANSWERS, shared, strict=True):
        batch = adapter.encode([prompt] * len(answers), answers)
        expected = adapter.target_logprobs(batch).sum(-1).tolist()
        assert [n for _, n in got] == batch.target_mask.sum(-1).tolist()
        assert_close([total for total, _ in got], expected, BATCHING, f"{architecture} {prompt_format}")
    assert len({n for _, n in shared[0]}) == 3  # the answers' lengths differ: padding is exercised
    assert answer_logprobs(adapter, [], []) == []
