"""``sequence`` mode equals Captum 0.9 run over a plain forward function.

Captum configuration: ``Saliency(fwd).attribute(embeds, abs=True)``,
``InputXGradient(fwd).attribute(embeds)``, ``IntegratedGradients(fwd).attribute(embeds,
baselines=..., n_steps=32, method="gausslegendre" | "riemann_trapezoid")``, all with
``additional_forward_args=(prompt_ids, prompt_mask, target_ids, target_mask)`` (Captum
repeats them per path point). ``fwd`` maps prompt embeddings [N, P, H] to each example's
mean target log-probability [N], computed with the adapter's own ``target_logprobs``
(log-softmax + gather), independently of our objective code. Captum's [N, P, H] output is
then reduced over H as our method does (L2 for saliency, sum for the others).
"""

from __future__ import annotations

import pytest
import torch

from tokendistill.attribution import MethodInputs, Objective, get_method
from tokendistill.models.batch import EncodedBatch
from tolerances import REFERENCE, assert_close

from .helpers import PROMPTS, TARGETS, build_adapter, raw_by_step

captum_attr = pytest.importorskip("captum.attr")


def forward_fn(adapter, step: int | None = None):
    """Prompt embeddings -> mean target log-prob [N] (or the log-prob of target ``step``)."""

    def forward(embeds, prompt_ids, prompt_mask, target_ids, target_mask):
        offsets = [[None] * prompt_ids.shape[1] for _ in range(prompt_ids.shape[0])]
        batch = EncodedBatch(prompt_ids, prompt_mask, target_ids, target_mask, offsets)
        logprobs = adapter.target_logprobs(batch, embeds)  # [N, T], 0 at padding
        if step is not None:
            return logprobs[:, step]
        return logprobs.sum(-1) / target_mask.sum(-1)

    return forward


def setup(arch: str):
    adapter = build_adapter(arch)
    batch = adapter.encode(PROMPTS, TARGETS)
    inputs = MethodInputs(batch, batch.prompt_mask.bool(), [str(i) for i in range(len(PROMPTS))])
    extra = (batch.prompt_ids, batch.prompt_mask, batch.target_ids, batch.target_mask)
    embeds = adapter.embed(batch.prompt_ids).detach()
    return adapter, batch, inputs, extra, embeds


CASES = {
    "saliency": ({}, lambda f, e, x: f.attribute(e, additional_forward_args=x, abs=True), "l2"),
    "input_x_gradient": ({}, lambda f, e, x: f.attribute(e, additional_forward_args=x), "sum"),
    "ig_zero": (
        {"baseline": "zero"},
        lambda f, e, x: f.attribute(e, torch.zeros_like(e), additional_forward_args=x, n_steps=32),
        "sum",
    ),
}
CAPTUM_CLASS = {
    "saliency": "Saliency",
    "input_x_gradient": "InputXGradient",
    "ig_zero": "IntegratedGradients",
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_sequence_mode_equals_captum(arch: str, case: str) -> None:
    adapter, batch, inputs, extra, embeds = setup(arch)
    options, run_captum, reduction = CASES[case]
    name = "integrated_gradients" if case.startswith("ig") else case
    scores = get_method(name, **options).attribute(inputs, Objective(adapter))  # [B, P]
    captum_method = getattr(captum_attr, CAPTUM_CLASS[case])(forward_fn(adapter))
    raw = run_captum(captum_method, embeds, extra)  # [B, P, H]
    ref = raw.norm(dim=-1) if reduction == "l2" else raw.sum(-1)
    mask = batch.prompt_mask.bool()
    assert_close(scores[mask], ref[mask], REFERENCE)


@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_ig_pad_baseline_and_trapezoid_equal_captum(arch: str) -> None:
    """Pad baseline with Gauss-Legendre; and our trapezoid = Captum's times n/(n-1).

    Captum's ``riemann_trapezoid`` weights are 1/n with halved ends on linspace(0, 1, n), which
    sum to (n-1)/n; ours are 1/(n-1), so completeness holds exactly.
    """
    adapter, batch, inputs, extra, embeds = setup(arch)
    pad = adapter.embed(torch.full_like(batch.prompt_ids, adapter.tokenizer.pad_token_id)).detach()
    ig = captum_attr.IntegratedGradients(forward_fn(adapter))
    mask = batch.prompt_mask.bool()
    for rule, factor in (("gausslegendre", 1.0), ("riemann_trapezoid", 16 / 15)):
        ours = get_method(
            "integrated_gradients", baseline="pad", rule=rule, n_steps=16, internal_batch_size=7
        )
        scores = ours.attribute(inputs, Objective(adapter))
        ref = (
            ig.attribute(embeds, pad, additional_forward_args=extra, n_steps=16, method=rule).sum(-1) * factor
        )
        assert_close(scores[mask], ref[mask], REFERENCE)


def test_causal_ig_per_step_equals_captum_per_step() -> None:
    """Every target step of causal IG (Inseq only shares the first, see test_inseq_equivalence)."""
    adapter, batch, inputs, extra, embeds = setup("causal")
    method = get_method("integrated_gradients", baseline="zero", n_steps=8)
    ours = raw_by_step(method, inputs, Objective(adapter, "logprob", "per_step"))
    for t in range(batch.target_ids.shape[1]):
        ig = captum_attr.IntegratedGradients(forward_fn(adapter, step=t))
        ref = ig.attribute(embeds, torch.zeros_like(embeds), additional_forward_args=extra, n_steps=8)
        for row in range(len(batch)):
            if batch.target_mask[row, t]:
                real = batch.prompt_mask[row].bool()
                assert_close(ours[(row, t)][real], ref[row][real], REFERENCE)
