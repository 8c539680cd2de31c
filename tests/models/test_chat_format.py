"""Chat-format prompts: the template frames the prompt, offsets stay exact, template tokens are
never content, and generation, rank scoring and attribution all go through the frame."""

from __future__ import annotations

import pytest
import torch

from tokendistill.attribution import attribute
from tokendistill.errors import ModelSpecError
from tokendistill.models.adapter import make_adapter
from tokendistill.models.config import AdapterSettings
from tokendistill.models.tiny import TINY_CHAT_TEMPLATE, build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tokendistill.rationales import Selection, SelectionConfig
from tokendistill.tasks.example import Example, TemplateBuilder

PROMPTS = ["the quick brown fox jumps over the lazy dog", "a man is playing a guitar"]
SYSTEM = "answer yes or no"
TEMPLATE_WORDS = ("system", "user", "assistant")
CHAT = AdapterSettings(prompt_format="chat", system_prompt=SYSTEM)
BUILD = {"seq2seq": tiny_seq2seq, "causal": tiny_causal}


@pytest.fixture(scope="module")
def tokenizer():
    tok = build_tiny_tokenizer([*PROMPTS, SYSTEM, "system user assistant : yes no"])
    tok.chat_template = TINY_CHAT_TEMPLATE
    return tok


@pytest.fixture(scope="module", params=sorted(BUILD))
def adapter(request, tokenizer):
    return make_adapter(BUILD[request.param](tokenizer).eval(), tokenizer, CHAT)


def test_the_frame_is_the_rendered_template(adapter, tokenizer) -> None:
    batch = adapter.encode(PROMPTS[:1])
    rendered = tokenizer.apply_chat_template(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[0]}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert batch.prompt_ids[0].tolist() == tokenizer(rendered, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(adapter.frame.after) == "</s> <s> assistant :"


def test_offsets_point_at_the_prompts_characters_and_template_tokens_have_none(adapter, tokenizer) -> None:
    batch = adapter.encode(PROMPTS)
    for prompt, ids, mask, offsets in zip(
        PROMPTS, batch.prompt_ids, batch.prompt_mask, batch.prompt_offsets, strict=True
    ):
        real = [(i, o) for i, o, m in zip(ids.tolist(), offsets, mask.tolist(), strict=True) if m]
        content = [(i, o) for i, o in real if o is not None]
        assert [prompt[s:e] for _, (s, e) in content] == tokenizer.convert_ids_to_tokens(
            [i for i, _ in content]
        )
        assert len(content) == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
        template = tokenizer.convert_ids_to_tokens([i for i, o in real if o is None])
        assert set(TEMPLATE_WORDS) <= set(template)


def test_truncation_keeps_the_frame(tokenizer) -> None:
    short = make_adapter(tiny_causal(tokenizer), tokenizer, CHAT.model_copy(update={"max_prompt_tokens": 20}))
    ids = short.encode([PROMPTS[0] * 3]).prompt_ids[0].tolist()
    assert len(ids) == 20
    assert tuple(ids[: len(short.frame.before)]) == short.frame.before
    assert tuple(ids[-len(short.frame.after) :]) == short.frame.after


def test_chat_targets_open_the_assistant_turn(tokenizer) -> None:
    adapter = make_adapter(tiny_causal(tokenizer), tokenizer, CHAT)
    target = adapter.encode(PROMPTS[:1], ["yes"]).target_ids[0].tolist()
    assert target == [*tokenizer("yes", add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]


def examples() -> list[Example]:
    out = []
    for i, prompt in enumerate(PROMPTS):
        text, spans = TemplateBuilder().template("question : ").content(prompt).build()
        out.append(Example(f"ex-{i}", text, spans, label="yes"))
    return out


def test_no_template_token_is_ever_attributed_or_selected(adapter) -> None:
    exs = examples()
    for method in ("saliency", "integrated_gradients", "attention"):
        records = attribute(adapter, exs, method, split="t", teacher_answers=["yes", "no"])
        for ex, record in zip(exs, records, strict=True):
            assert [ex.text[s:e] for s, e in record.offsets] == [t.removeprefix("##") for t in record.tokens]
            assert not set(record.tokens) & set(TEMPLATE_WORDS)
            rationale = Selection(SelectionConfig(k=50, unit="token")).select(record, 50)
            assert rationale.words and all(ex.is_content(s, e) for s, e in rationale.spans)


def test_generation_and_rank_scoring_use_the_frame(adapter, monkeypatch) -> None:
    seen = []
    real_encode = adapter.encode
    monkeypatch.setattr(adapter, "encode", lambda *a, **k: seen.append(r := real_encode(*a, **k)) or r)
    assert len(adapter.generate(PROMPTS, max_new_tokens=2)) == 2
    scores = adapter.score_choices(PROMPTS, [["yes", "no"]] * 2)
    assert len(scores) == 2 and all(len(row) == 2 for row in scores)
    for batch in seen:
        for ids, mask in zip(batch.prompt_ids, batch.prompt_mask, strict=True):
            real = ids[mask.bool()].tolist()
            assert tuple(real[: len(adapter.frame.before)]) == adapter.frame.before
            assert tuple(real[-len(adapter.frame.after) :]) == adapter.frame.after


def test_a_tokenizer_without_a_template_is_refused_in_one_sentence() -> None:
    plain = build_tiny_tokenizer(PROMPTS)
    with pytest.raises(ModelSpecError, match="has no chat template; use prompt_format: plain"):
        make_adapter(tiny_causal(plain), plain, AdapterSettings(prompt_format="chat"))


def test_a_template_that_alters_the_message_is_refused(tokenizer) -> None:
    odd = build_tiny_tokenizer(PROMPTS)
    odd.chat_template = "{% for m in messages %}{{ m['content'] | upper }}{% endfor %}"
    with pytest.raises(ModelSpecError, match="does not render the user's message once and verbatim"):
        make_adapter(tiny_causal(odd), odd, AdapterSettings(prompt_format="chat"))
    strict = build_tiny_tokenizer(PROMPTS)
    strict.chat_template = (
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system') }}{% endif %}"
    )
    with pytest.raises(ModelSpecError, match="cannot render the prompt"):
        make_adapter(tiny_causal(strict), strict, CHAT)


def test_plain_format_is_unchanged(tokenizer) -> None:
    model = tiny_causal(tokenizer)
    plain = make_adapter(model, tokenizer)
    batch = plain.encode(PROMPTS[:1])
    suffix = tokenizer("\nAnswer:", add_special_tokens=False)["input_ids"]
    expected = tokenizer(PROMPTS[0])["input_ids"] + suffix
    assert batch.prompt_ids[0].tolist() == expected
    assert torch.equal(batch.prompt_mask[0], torch.ones(len(expected), dtype=torch.long))
