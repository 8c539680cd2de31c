"""Log-probabilities of several answers to one prompt, the prompt computed once.

Scoring answer choices pairwise runs the whole prompt once per choice. A decoder-only model
can run it once, keep its key/value cache, and run only the answers' tokens on a copy per
answer; an encoder-decoder model can encode it once and run only the decoder per answer.
Rank evaluation and the faithfulness analyses (issue 31) score every input against every
answer choice, where this divides the prompt's cost by about the number of choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from transformers.modeling_outputs import BaseModelOutput

from tokendistill.models.batch import picked_logprobs

if TYPE_CHECKING:
    from tokendistill.models.adapter import ModelAdapter

__all__ = ["answer_logprobs"]

Scores = list[list[tuple[float, int]]]


@torch.no_grad()
def answer_logprobs(
    adapter: ModelAdapter, prompts: Sequence[str], answers: Sequence[Sequence[str]]
) -> Scores:
    """Per prompt, per answer: the summed log-probability of the answer (ending in EOS, as
    ``encode`` frames targets) given the prompt, and its token count."""
    if len(prompts) != len(answers):
        raise ValueError(f"{len(prompts)} prompts but {len(answers)} answer lists")
    flat_answers = [a for group in answers for a in group]
    if not flat_answers:
        return [[] for _ in prompts]
    per_prompt = [len(g) for g in answers]
    shared = _shared_cache if adapter.architecture == "causal" else _shared_encoder
    sums, counts = shared(adapter, list(prompts), flat_answers, per_prompt)
    flat = list(zip(sums.tolist(), counts.tolist(), strict=True))
    out, pos = [], 0
    for n in per_prompt:
        out.append(flat[pos : pos + n])
        pos += n
    return out


def _shared_cache(
    adapter: ModelAdapter, prompts: list[str], answers: list[str], per_prompt: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Causal layout (``adapter.py``): left-padded prompts run once with a cache; each
    answer's tokens then run on its prompt's cached keys and values. Returns sums [R] and
    token counts [R] over the R answers."""
    device = adapter.device
    prompt = adapter.encode(prompts).to(device)
    mask = prompt.prompt_mask
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = adapter.model(
        input_ids=prompt.prompt_ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
    )
    rows = _answer_rows(per_prompt, device)
    targets = adapter.encode([""] * len(answers), answers).to(device)  # only the answers' tokens are kept
    first = out.logits[rows, -1:]  # [R, 1, V]: predicts each answer's first token
    n_target = targets.target_ids.shape[1]
    if n_target > 1:
        cache = out.cache
        cache.reorder_cache(rows)  # one copy of its prompt's cache per answer
        full_mask = torch.cat([mask[rows], targets.target_mask], dim=1)[:, :-1]
        steps = positions[rows, -1:] + 1 + torch.arange(n_target - 1, device=device)
        rest = adapter.model(
            input_ids=targets.target_ids[:, :-1],
            attention_mask=full_mask,
            position_ids=steps,
            cache=cache,
            use_cache=True,
        ).logits  # [R, T-1, V]: predicts tokens 2 … T
        first = torch.cat([first, rest], dim=1)
    logprobs = picked_logprobs(first, targets)  # reads only the targets' ids and mask
    return logprobs.sum(-1), targets.target_mask.sum(-1)


def _shared_encoder(
    adapter: ModelAdapter, prompts: list[str], answers: list[str], per_prompt: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seq2seq layout: the prompts run through the encoder once; the decoder runs each answer
    against its prompt's encoder states. Returns sums [R] and token counts [R]."""
    device = adapter.device
    prompt = adapter.encode(prompts).to(device)
    states = adapter.model.get_encoder()(
        input_ids=prompt.prompt_ids, attention_mask=prompt.prompt_mask, return_dict=True
    ).last_hidden_state
    rows = _answer_rows(per_prompt, device)
    targets = adapter.encode([""] * len(answers), answers).to(device)
    logits = adapter.model(
        encoder_outputs=BaseModelOutput(last_hidden_state=states[rows]),
        attention_mask=prompt.prompt_mask[rows],
        decoder_input_ids=adapter.decoder_inputs(targets.target_ids),
        use_cache=False,
    ).logits
    logprobs = picked_logprobs(logits, targets)
    return logprobs.sum(-1), targets.target_mask.sum(-1)


def _answer_rows(per_prompt: list[int], device: torch.device) -> torch.Tensor:
    """The prompt index of each answer, answers in prompt order: [R]."""
    counts = torch.tensor(per_prompt, device=device)
    return torch.repeat_interleave(torch.arange(len(per_prompt), device=device), counts)
