"""Foils of contrastive attribution: for every example, the best answer choice other than its
forced target, by the attributed function itself (``Objective.values``).

Candidates are the example's ``choices``: CommonsenseQA's five answers, an NLI task's label
set, a custom task's choices field or label set. An example without them cannot be
contrasted, and says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tokendistill.attribution.batching import sort_keys
from tokendistill.attribution.objective import ContrastiveBatch, Objective
from tokendistill.errors import InputError
from tokendistill.models.batch import EncodedBatch
from tokendistill.runtime.batching import BatchSizer, map_batches
from tokendistill.tasks.example import Example


class NoFoil(InputError):
    """Contrastive attribution of an example that has no other answer choice."""


def other_choices(example: Example, target: str) -> list[str]:
    """The example's candidate answers except ``target`` (compared stripped, case-insensitive)."""
    same = target.strip().casefold()
    others = [c for c in example.choices or () if c.strip().casefold() != same]
    if not others:
        raise NoFoil(
            f"example {example.id!r}: contrastive attribution needs another answer choice than "
            f"{target!r}, and its choices are {list(example.choices or [])}; set attribution.contrastive: "
            "false, or use a task with answer choices (or a choices_field / label_set)"
        )
    return others


@torch.no_grad()
def best_foils(
    objective: Objective,
    examples: Sequence[Example],
    prompts: Sequence[str],
    targets: Sequence[str],
    *,
    sizer: BatchSizer,
) -> list[str]:
    """Per example, the other choice with the highest attributed function ``F`` (the mean over
    its tokens of the log-probability, probability or logit) given the example's prompt.
    (prompt, choice) pairs run in length-sorted batches at ``sizer``'s size, backing off on
    out-of-memory like the attribution batches."""
    candidates = [other_choices(ex, target) for ex, target in zip(examples, targets, strict=True)]
    pairs = [(i, c) for i, cands in enumerate(candidates) for c in cands]
    adapter, plain = objective.adapter, Objective(objective.adapter, objective.attributed_fn)
    pair_prompts, choices = [prompts[i] for i, _ in pairs], [c for _, c in pairs]

    def score(rows: list[int]) -> list[float]:
        batch = adapter.encode([pair_prompts[r] for r in rows], [choices[r] for r in rows]).to(adapter.device)
        return plain.values(batch, plain.embed(batch)).tolist()

    keys = sort_keys(adapter.tokenizer, pair_prompts, choices, per_step=False)
    values = map_batches(sizer, keys, score)
    best: dict[int, tuple[float, str]] = {}
    for (i, choice), value in zip(pairs, values, strict=True):
        if i not in best or value > best[i][0]:  # ties: the earlier choice
            best[i] = (value, choice)
    return [best[i][1] for i in range(len(examples))]


def with_foils(objective: Objective, batch: EncodedBatch, foils: Sequence[str]) -> ContrastiveBatch:
    """``batch`` (encoded on the objective's model) with ``foils[b]`` as row b's foil."""
    prompts = [""] * len(foils)  # only the foils' target tokens are kept
    encoded = objective.adapter.encode(prompts, list(foils)).to(batch.prompt_ids.device)
    return ContrastiveBatch(
        batch.prompt_ids,
        batch.prompt_mask,
        batch.target_ids,
        batch.target_mask,
        batch.prompt_offsets,
        encoded.target_ids,
        encoded.target_mask,
    )
