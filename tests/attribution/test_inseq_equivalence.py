"""``per_step`` saliency, input×gradient and integrated gradients equal Inseq 0.7.1's numbers.

Inseq configuration matched (no monkeypatching needed with transformers 5.23):
* ``inseq.load_model(model, method, tokenizer=<copy>)``: a copy, because Inseq sets the
  tokenizer's padding/truncation side to "left" for decoder-only models;
* ``model.attribute(inputs, generated_texts, attribute_target=False,
  attributed_fn="probability"[, logprob=True])``: forced targets; ``logprob=True`` is
  forwarded to Inseq's ``probability_fn`` and makes it the log-probability;
* seq2seq: ``inputs = prompts``, ``generated_texts = targets`` (the T5-like tokenizer adds
  the EOS our adapter adds); causal: ``inputs = prompt + answer_prefix``,
  ``generated_texts = inputs + target_prefix + target + eos`` (same ids as our encoding);
* integrated gradients: ``n_steps=32`` (Gauss-Legendre, Captum's default) and Inseq's
  baseline, the UNK embedding everywhere (``include_eos_baseline=True``), made equal to our
  ``pad`` baseline by tying the UNK embedding row to the pad row.
Inseq's raw per-step matrices (``source_attributions`` for seq2seq, the prompt rows of
``target_attributions`` for causal) are compared before any reduction; then our
step-averaged scores with ``reduction="l2"`` against the step mean of Inseq's own
``aggregate(normalize=False)`` (its default L2 over the hidden dim, without its per-step
normalisation to sum 1).

For causal IG, Inseq treats the generated prefix as input too and moves it along the path,
while we keep targets fixed (teacher forcing), so only the first step is the same quantity;
``test_captum_equivalence`` checks every step against Captum.
"""

from __future__ import annotations

import copy

import pytest
import torch

from tokendistill.attribution import MethodInputs, Objective, get_method
from tolerances import REFERENCE, assert_close

from .helpers import PROMPTS, TARGETS, build_adapter, raw_by_step, tie_unk_to_pad

inseq = pytest.importorskip("inseq")

FN_KWARGS = {"probability": {}, "logprob": {"logprob": True}}
METHODS = {
    "saliency": ({}, {}),
    "input_x_gradient": ({}, {}),
    "integrated_gradients": (
        {"baseline": "pad", "n_steps": 32},
        {"n_steps": 32, "include_eos_baseline": True},
    ),
}


def run_inseq(adapter, method: str, fn: str, extra: dict) -> list[torch.Tensor]:
    """Inseq's raw per-step attributions of each example's prompt tokens: [P_b, T_b, H]."""
    model = inseq.load_model(adapter.model, method, tokenizer=copy.deepcopy(adapter.tokenizer))
    kwargs = {"attribute_target": False, "show_progress": False, "attributed_fn": "probability"}
    kwargs.update(FN_KWARGS[fn], **extra)
    if adapter.architecture == "seq2seq":
        out = model.attribute(PROMPTS, TARGETS, **kwargs)
        return [seq.source_attributions for seq in out.sequence_attributions], out
    inputs = [p + adapter.answer_prefix for p in PROMPTS]
    generated = [
        s + adapter.target_prefix + t + adapter.tokenizer.eos_token
        for s, t in zip(inputs, TARGETS, strict=True)
    ]
    out = model.attribute(inputs, generated, **kwargs)
    lengths = adapter.encode(PROMPTS).prompt_mask.sum(-1).tolist()
    return [
        seq.target_attributions[:n] for seq, n in zip(out.sequence_attributions, lengths, strict=True)
    ], out


# Both attributed functions for saliency (Inseq's default probability, our default logprob),
# one each for the others: the fn only changes the scalar differentiated, not the method.
CASES = [
    ("saliency", "probability"),
    ("saliency", "logprob"),
    ("input_x_gradient", "logprob"),
    ("integrated_gradients", "probability"),
]


@pytest.mark.parametrize(("name", "fn"), CASES)
@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_per_step_equals_inseq(arch: str, name: str, fn: str) -> None:
    adapter = build_adapter(arch, t5_specials=arch == "seq2seq")
    tie_unk_to_pad(adapter)
    ours_opts, inseq_opts = METHODS[name]
    method = get_method(name, **ours_opts)
    batch = adapter.encode(PROMPTS, TARGETS)
    objective = Objective(adapter, fn, "per_step")
    inputs = MethodInputs(batch, batch.prompt_mask.bool(), [str(i) for i in range(len(PROMPTS))])
    ours = raw_by_step(method, inputs, objective)
    theirs, out = run_inseq(adapter, name, fn, inseq_opts)
    only_first = name == "integrated_gradients" and arch == "causal"
    for row, ref in enumerate(theirs):  # ref: [P_b, T_b, H]
        real = batch.prompt_mask[row].bool()
        assert ref.shape[1] == int(batch.target_mask[row].sum())
        for t in range(1 if only_first else ref.shape[1]):
            assert_close(ours[(row, t)][real], ref[:, t], REFERENCE)
    if only_first:
        return
    # Reduced and averaged: Inseq's own aggregation (L2 over hidden) per step, then our mean.
    method_l2 = get_method(
        name, **({"norm": "l2"} if name == "saliency" else {**ours_opts, "reduction": "l2"})
    )
    scores = method_l2.attribute(inputs, objective)  # [B, P]
    for row, seq in enumerate(out.sequence_attributions):
        # normalize=False: Inseq's default also rescales each step's column to sum 1.
        agg = seq.aggregate(normalize=False)
        per_step = agg.source_attributions if arch == "seq2seq" else agg.target_attributions  # [>=P_b, T_b]
        real = batch.prompt_mask[row].bool()
        assert_close(scores[row][real], per_step[: int(real.sum())].mean(-1), REFERENCE)
