"""The adapter's contract, checked on tiny models of both architectures."""

from __future__ import annotations

import pytest
import torch

from tokendistill.models.adapter import make_adapter
from tokendistill.models.config import AdapterSettings
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tolerances import BATCHING, FORMULA, assert_close

PROMPTS = [
    "the quick brown fox jumps over the lazy dog",
    "a man is playing a guitar",
    "premise : the cat sat on the mat . hypothesis : a cat is sitting",
]
TARGETS = ["entailment", "neutral answer", "contradiction , maybe not"]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer([*PROMPTS, *TARGETS, "yes no"])


@pytest.fixture(scope="module", params=["seq2seq", "causal"])
def adapter(request, tokenizer):
    build = tiny_seq2seq if request.param == "seq2seq" else tiny_causal
    model = build(tokenizer).eval()
    return make_adapter(model, tokenizer)


def test_batched_logprobs_equal_single(adapter):
    batched = adapter.target_logprobs(adapter.encode(PROMPTS, TARGETS))
    for i, (prompt, target) in enumerate(zip(PROMPTS, TARGETS, strict=True)):
        alone = adapter.target_logprobs(adapter.encode([prompt], [target]))[0]
        n = alone.shape[0]
        assert_close(batched[i, :n], alone, BATCHING, f"log-probabilities of row {i}")
        assert torch.all(batched[i, n:] == 0)


def test_embedding_path_equals_id_path(adapter):
    batch = adapter.encode(PROMPTS, TARGETS)
    from_ids = adapter.target_logprobs(batch)
    from_embeds = adapter.target_logprobs(batch, adapter.embed(batch.prompt_ids))
    assert_close(from_ids, from_embeds, FORMULA)


def test_offsets_point_at_the_right_characters(adapter, tokenizer):
    batch = adapter.encode(PROMPTS)
    for prompt, ids, offsets in zip(PROMPTS, batch.prompt_ids, batch.prompt_offsets, strict=True):
        seen = 0
        for token_id, offset in zip(ids.tolist(), offsets, strict=True):
            if offset is None:
                continue
            token = tokenizer.convert_ids_to_tokens(token_id).removeprefix("##")
            assert prompt[offset[0] : offset[1]].lower() == token
            seen += 1
        assert seen == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])


def test_suffix_and_special_tokens_have_no_offsets(tokenizer):
    adapter = make_adapter(tiny_causal(tokenizer), tokenizer, AdapterSettings(answer_prefix=" answer :"))
    batch = adapter.encode(["a man"])
    assert batch.prompt_offsets[0][-2:] == [None, None]
    t5_like = build_tiny_tokenizer(["a man"], add_bos=True, add_eos=True)
    seq = make_adapter(tiny_seq2seq(t5_like), t5_like)
    offsets = seq.encode(["a man"]).prompt_offsets[0]
    assert offsets[0] is None and offsets[-1] is None and offsets[1:-1] == [(0, 1), (2, 5)]


def test_targets_end_with_eos_and_truncate(adapter, tokenizer):
    adapter_short = make_adapter(adapter.model, tokenizer, AdapterSettings(max_target_tokens=3))
    batch = adapter_short.encode(["a"], ["one two three four five"])
    assert batch.target_ids.shape[1] == 3
    assert batch.target_ids[0, -1].item() == tokenizer.eos_token_id


def _train_to_answer(adapter, answer: str, steps: int = 60) -> None:
    torch.manual_seed(0)
    opt = torch.optim.Adam(adapter.model.parameters(), lr=1e-2)
    batch = adapter.encode(PROMPTS, [answer] * len(PROMPTS))
    adapter.model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = -adapter.target_logprobs(batch).sum() / batch.target_mask.sum()
        loss.backward()
        opt.step()
    adapter.model.eval()


@pytest.mark.parametrize("build", [tiny_seq2seq, tiny_causal], ids=["seq2seq", "causal"])
def test_generation_stops_at_eos_and_rank_classification(tokenizer, build):
    adapter = make_adapter(build(tokenizer, seed=1), tokenizer)
    _train_to_answer(adapter, "yes")
    assert adapter.generate(PROMPTS, max_new_tokens=8) == ["yes"] * len(PROMPTS)
    prompt = adapter.encode(PROMPTS[:1])
    out = adapter.model.generate(
        input_ids=prompt.prompt_ids, max_new_tokens=8, eos_token_id=tokenizer.eos_token_id
    )
    new_tokens = adapter._generated_part(out, prompt)[0].tolist()
    assert new_tokens[-1] == tokenizer.eos_token_id and len(new_tokens) < 8
    scores = adapter.score_choices(PROMPTS, [["no", "yes", "maybe"]] * len(PROMPTS))
    for row in scores:
        assert max(range(3), key=row.__getitem__) == 1
    single = adapter.target_logprobs(adapter.encode([PROMPTS[0]], ["maybe"])).sum().item()
    assert_close(scores[0][2], single, BATCHING, "a choice's score")


def test_prompt_attention_is_a_distribution_over_real_prompt_tokens(adapter):
    batch = adapter.encode(PROMPTS, TARGETS)
    attn = adapter.prompt_attention(batch)
    assert attn.shape == batch.prompt_ids.shape
    assert torch.all(attn[batch.prompt_mask == 0] < 1e-6)
    if adapter.architecture == "seq2seq":
        assert_close(attn.sum(-1), torch.ones(len(PROMPTS)), FORMULA, "attention sums")
