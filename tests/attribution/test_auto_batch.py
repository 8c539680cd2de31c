"""``batch_size: auto``: simulated out-of-memory errors make it back off, and the scores are
those of a fixed batch, with no example dropped or done twice."""

from __future__ import annotations

import pytest
import torch

from tokendistill.attribution import AttributionSettings, attribute, get_method
from tokendistill.attribution.config import AttributionConfig
from tokendistill.runtime.batching import BatchSizer
from tolerances import BATCHING, assert_close

from .helpers import QUESTIONS

ANSWERS = [a for _, a in QUESTIONS]
OOM = "CUDA out of memory. Tried to allocate 2.00 GiB"


def content_scores(records) -> list[torch.Tensor]:
    return [torch.tensor([s for s, c in zip(r.scores, r.content, strict=True) if c]) for r in records]


def fail_above(monkeypatch, adapter, rows: int, calls: list[int]) -> None:
    """Every forward over more than ``rows`` rows runs out of memory (after counting them)."""
    real = adapter.target_logits

    def limited(batch, prompt_embeds=None, **kwargs):
        calls.append(len(batch))
        if len(batch) > rows:
            raise RuntimeError(OOM)
        return real(batch, prompt_embeds, **kwargs)

    monkeypatch.setattr(adapter, "target_logits", limited)


@pytest.mark.parametrize("method", ["saliency", "attention"])
def test_auto_batch_backs_off_and_scores_do_not_change(adapter, examples, monkeypatch, method) -> None:
    fixed = attribute(adapter, examples, method, split="t", teacher_answers=ANSWERS)
    calls: list[int] = []
    fail_above(monkeypatch, adapter, 1, calls)
    sizer = BatchSizer("auto", start=4)
    if method == "attention":  # attention reads prompt_attention: limit that path instead
        monkeypatch.undo()
        real = adapter.prompt_attention
        monkeypatch.setattr(
            adapter, "prompt_attention", lambda b: calls.append(len(b)) or _fail_if(len(b) > 1) or real(b)
        )
    settings = AttributionSettings(batch_size="auto")
    auto = attribute(
        adapter, examples, method, split="t", settings=settings, teacher_answers=ANSWERS, sizer=sizer
    )
    assert [r.example_id for r in auto] == [ex.id for ex in examples]
    assert sizer.size == 1 and calls[:3] == [4, 2, 1]
    for a, b in zip(content_scores(auto), content_scores(fixed), strict=True):
        assert_close(a, b, BATCHING)


def _fail_if(condition: bool) -> None:
    if condition:
        raise RuntimeError(OOM)


def test_integrated_gradients_internal_batch_backs_off(adapter, examples, monkeypatch) -> None:
    method = get_method("integrated_gradients", n_steps=8, internal_batch_size=16)
    fixed = attribute(adapter, examples, method, split="t", teacher_answers=ANSWERS)
    calls: list[int] = []
    fail_above(monkeypatch, adapter, 4, calls)
    auto_method = get_method("integrated_gradients", n_steps=8, internal_batch_size="auto")
    auto = attribute(adapter, examples, auto_method, split="t", teacher_answers=ANSWERS)
    # The search starts at the rows the 4 examples can fill (4 x 8 path points), then halves.
    assert calls[0] == 8 and calls[-1] == 4 and auto_method._rows.size == 4
    for a, b in zip(content_scores(auto), content_scores(fixed), strict=True):
        assert_close(a, b, BATCHING)


def test_generation_backs_off_too(adapter, examples, monkeypatch) -> None:
    expected = attribute(adapter, examples, "random", split="t")
    real = adapter.generate
    sizes: list[int] = []

    def limited(prompts, **kwargs):
        sizes.append(len(prompts))
        _fail_if(len(prompts) > 2)
        return real(prompts, **kwargs)

    monkeypatch.setattr(adapter, "generate", limited)
    auto = attribute(adapter, examples, "random", split="t", settings=AttributionSettings(batch_size="auto"))
    assert [r.teacher_answer for r in auto] == [r.teacher_answer for r in expected]
    assert sizes == [4, 2, 2]  # the search starts at the number of prompts


@pytest.mark.parametrize(
    ("value", "ok"), [("auto", True), (1, True), (0, False), ("big", False), (True, False)]
)
def test_batch_size_accepts_a_whole_number_or_auto(value, ok) -> None:
    if ok:
        assert AttributionConfig(batch_size=value).settings.batch_size == value
    else:
        with pytest.raises(ValueError, match="or 'auto'"):
            AttributionConfig(batch_size=value)
