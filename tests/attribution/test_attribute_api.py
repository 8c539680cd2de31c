"""``attribute``: records, token mapping, targets, model state and non-finite scores."""

from __future__ import annotations

import math

import pytest
import torch

from tokendistill.attribution import AttributionSettings, attribute
from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq

from .helpers import corpus

ANSWERS = ["yes", "no", "maybe", "entailment"]


def surface(token: str) -> str:
    """A vocabulary token's text: without WordPiece's ``##`` or a BPE end-of-word ``</w>``."""
    return token.removeprefix("##").removesuffix("</w>")


def test_model_is_frozen_during_and_restored_after_an_error(adapter, examples, monkeypatch) -> None:
    model = adapter.model
    params = list(model.parameters())
    original = [p.requires_grad for p in params]
    for i, p in enumerate(params):  # a mixed pattern, so restoring must be per parameter
        p.requires_grad_(i % 3 != 0)
    before = [p.requires_grad for p in params]
    model.train()
    seen = {}

    def failing(batch, prompt_embeds=None, **_):
        seen["any_trainable"] = any(p.requires_grad for p in params)
        seen["training"] = model.training
        raise RuntimeError("boom")

    monkeypatch.setattr(adapter, "target_logits", failing)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            attribute(adapter, examples, "saliency", split="t", teacher_answers=ANSWERS)
        assert seen == {"any_trainable": False, "training": False}
        assert [p.requires_grad for p in params] == before and model.training
    finally:
        for p, flag in zip(params, original, strict=True):
            p.requires_grad_(flag)
        model.eval()


def test_gradients_reach_only_the_embedding_leaf(adapter, examples) -> None:
    for p in adapter.model.parameters():
        p.grad = None
    attribute(adapter, examples, "saliency", split="t", teacher_answers=ANSWERS)
    assert all(p.grad is None for p in adapter.model.parameters())


def test_non_finite_scores_are_flagged_not_hidden(adapter, examples, monkeypatch) -> None:
    clean = attribute(adapter, examples, "saliency", split="t", teacher_answers=ANSWERS)
    assert all(r.finite for r in clean)
    real = adapter.target_logits
    monkeypatch.setattr(
        adapter, "target_logits", lambda batch, e=None, **kw: real(batch, e, **kw) * float("nan")
    )
    broken = attribute(adapter, examples, "saliency", split="t", teacher_answers=ANSWERS)
    for r in broken:
        assert r.finite is False
        assert any(math.isnan(s) for s, c in zip(r.scores, r.content, strict=True) if c)


@pytest.mark.parametrize("build", [tiny_seq2seq, tiny_causal], ids=["seq2seq", "causal"])
def test_template_prefix_and_special_tokens_are_never_content(build, examples) -> None:
    tokenizer = build_tiny_tokenizer(corpus(), add_bos=True, add_eos=True)
    adapter = make_adapter(build(tokenizer).eval(), tokenizer)
    prefix = "predict : "
    records = attribute(adapter, examples, "saliency", split="t", prefix=prefix, teacher_answers=ANSWERS)
    for ex, r in zip(examples, records, strict=True):
        assert r.text == ex.text and r.example_id == ex.id
        assert not {"<s>", "</s>", "<pad>"} & set(r.tokens)  # special tokens dropped
        # No prefix token survives, every offset points at its token in the original text.
        for token, (start, end), content in zip(r.tokens, r.offsets, r.content, strict=True):
            assert ex.text[start:end].lower() == surface(token)
            assert content == ex.is_content(start, end)
        words = [surface(t) for t, c in zip(r.tokens, r.content, strict=True) if not c]
        assert words[:2] == ["question", ":"] and "choices" in words and "predict" not in words
        assert any(r.content) and len(r.tokens) == len(
            tokenizer(ex.text, add_special_tokens=False)["input_ids"]
        )


def test_targets_teacher_or_gold_and_correctness(adapter, examples) -> None:
    cfg = AttributionSettings(target="gold")
    gold = attribute(
        adapter, examples, "random", split="dev", settings=cfg, teacher_answers=[" YES ", "x", "y", "z"]
    )
    assert [r.target for r in gold] == [ex.label for ex in examples]
    assert [r.teacher_correct for r in gold] == [True, False, False, False]  # strip + lower exact match
    assert all(r.split == "dev" and r.gold == ex.label for r, ex in zip(gold, examples, strict=True))
    always = attribute(
        adapter, examples, "random", split="dev", teacher_answers=ANSWERS, score_fn=lambda pred, ex: 1.0
    )
    assert [r.target for r in always] == ANSWERS and all(r.teacher_correct for r in always)


def test_teacher_answers_are_generated_when_not_given(adapter, examples) -> None:
    cfg = AttributionSettings(max_new_tokens=3, batch_size=2)
    records = attribute(adapter, examples, "random", split="t", settings=cfg)
    expected = adapter.generate([ex.text for ex in examples], max_new_tokens=3)
    assert [r.teacher_answer for r in records] == expected == [r.target for r in records]


def test_bad_arguments(adapter, examples) -> None:
    with pytest.raises(ValueError, match="teacher answers"):
        attribute(adapter, examples, "random", split="t", teacher_answers=["a"])
    assert attribute(adapter, [], "saliency", split="t") == []


def test_scores_are_plain_floats_in_input_order(adapter, examples) -> None:
    records = attribute(
        adapter,
        examples,
        "saliency",
        split="t",
        teacher_answers=ANSWERS,
        settings=AttributionSettings(batch_size=2),
    )
    assert [r.example_id for r in records] == [ex.id for ex in examples]
    assert all(type(s) is float for r in records for s in r.scores)
    assert torch.tensor(records[0].scores).abs().sum() > 0
