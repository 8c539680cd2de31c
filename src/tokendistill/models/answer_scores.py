"""Log-probabilities of several answers to one prompt, the prompt computed once.

Scoring answer choices pairwise runs the whole prompt once per choice; a decoder-only model
can run it once, keep its key/value cache, and run only the answers' tokens on a copy per
answer. The faithfulness analyses score every perturbed input against every answer choice
(issue 31), where this divides the cost by about the number of choices. Encoder-decoder
models score the pairs as ``target_logprobs`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tokendistill.models.adapter import ModelAdapter, picked_logprobs

__all__ = ["answer_logprobs"]

Scores = list[list[tuple[float, int]]]


@torch.no_grad()
def answer_logprobs(
    adapter: ModelAdapter, prompts: Sequence[str], answers: Sequence[Sequence[str]]
) -> Scores:
    """Per prompt, per answer: the summed log-probability of the answer (ending in EOS, as
    ``encode`` frames targets) given the prompt, and its token count."""
    pairs = [(p, a) for p, group in zip(prompts, answers, strict=True) for a in group]
    if not pairs:
        return [[] for _ in prompts]
    if adapter.architecture == "causal":
        sums, counts = _shared_prompt(
            adapter, list(prompts), [a for _, a in pairs], [len(g) for g in answers]
        )
    else:
        batch = adapter.encode([p for p, _ in pairs], [a for _, a in pairs]).to(adapter.device)
        sums, counts = adapter.target_logprobs(batch).sum(-1), batch.target_mask.sum(-1)
    flat = list(zip(sums.tolist(), counts.tolist(), strict=True))
    out, pos = [], 0
    for group in answers:
        out.append(flat[pos : pos + len(group)])
        pos += len(group)
    return out


def _shared_prompt(
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
    rows = torch.repeat_interleave(
        torch.arange(len(prompts), device=device), torch.tensor(per_prompt, device=device)
    )
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
