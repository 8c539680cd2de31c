"""The teacher's next-token distributions carried into a student's own tokenizer
(``soft_labels.match: aligned``, after GOLD's token alignment).

At each pair of answer positions where teacher and student have read the same characters
(``models.token_pieces.aligned_positions``), the teacher's stored top-k is mapped into the
student's vocabulary: tokens that add the same text in both (``VocabularyMap``) keep their
probability, several teacher tokens of one student token are summed (``" The"`` and ``" the"``
for a lowercasing student), and the rest of the teacher's top-k joins its tail. The loss then
compares the two distributions over these tokens plus the rest as one bucket, exactly as for a
shared tokenizer (``losses.tail_bucket_jsd`` with ``present``). Exact when both tokenizers are
the same; otherwise the teacher's mass on tokens the student lacks only counts as "other", and
positions inside a word that the two split differently carry no soft term.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tokendistill.models.token_pieces import VocabularyMap, aligned_positions
from tokendistill.training.distribution_targets import VocabularyTarget

__all__ = ["AlignedTarget", "align_target", "aligned_tensors"]


@dataclass(frozen=True)
class AlignedTarget:
    """The teacher's distributions at the student's aligned answer positions: per position its
    index, the student token ids of the mapped teacher tokens, their log-probabilities and the
    log-probability of everything else (``-inf``: nothing else); ``matched``: the teacher's
    probability mass that found a student token, summed over the positions."""

    positions: tuple[int, ...]
    ids: tuple[tuple[int, ...], ...]
    logprobs: tuple[tuple[float, ...], ...]
    tails: tuple[float, ...]
    matched: float


def align_target(
    target: VocabularyTarget,
    pieces: Mapping[int, str],
    student_spans: Sequence[tuple[int, int]],
    vocabulary: VocabularyMap,
) -> AlignedTarget:
    """``target`` (with its spans) at the positions of the student's answer tokens
    ``student_spans``; ``pieces``: the teacher's token pieces (at least of its top-k ids)."""
    if not target.spans:
        raise ValueError("the teacher's distributions hold no token spans: compute them again")
    positions, ids, logprobs, tails, matched = [], [], [], [], 0.0
    for i, j in aligned_positions(target.spans, student_spans):
        top = target.top_logprobs[i]
        merged: dict[int, list[float]] = {}
        rest = [target.tail_logprobs[i]]
        for s, logprob in zip(vocabulary.student_ids(pieces, target.top_ids[i]), top, strict=True):
            (merged.setdefault(s, []) if s is not None else rest).append(logprob)
        if not merged:
            continue
        positions.append(j)
        ids.append(tuple(merged))
        logprobs.append(tuple(_logsumexp(v) for v in merged.values()))
        tails.append(_logsumexp(rest))
        matched += sum(math.exp(v) for vs in merged.values() for v in vs)
    return AlignedTarget(tuple(positions), tuple(ids), tuple(logprobs), tuple(tails), matched)


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top if math.isinf(top) else top + math.log(sum(math.exp(v - top) for v in values))


def aligned_tensors(targets: Sequence[AlignedTarget | None], width: int) -> dict[str, torch.Tensor]:
    """``soft_ids`` / ``soft_logprobs`` / ``soft_present`` [B, T, K] (K: the most mapped
    tokens at a position), ``soft_tail`` [B, T] and ``soft_mask`` [B, T], 1 at the aligned
    positions. Entries past a position's mapped tokens repeat its first id with ``present``
    False; a position without a soft term holds one harmless entry the mask drops."""
    k = max((len(i) for t in targets if t is not None for i in t.ids), default=1)
    ids = torch.zeros((len(targets), width, k), dtype=torch.long)
    logprobs = torch.zeros((len(targets), width, k), dtype=torch.float32)
    present = torch.zeros((len(targets), width, k), dtype=torch.bool)
    present[..., 0] = True
    tail = torch.full((len(targets), width), -torch.inf, dtype=torch.float32)
    mask = torch.zeros((len(targets), width), dtype=torch.float32)
    for b, target in enumerate(targets):
        if target is None:
            continue
        for j, top, lp, rest in zip(target.positions, target.ids, target.logprobs, target.tails, strict=True):
            if j >= width:
                continue
            n = len(top)
            ids[b, j] = top[0]
            ids[b, j, :n] = torch.tensor(top)
            logprobs[b, j, :n] = torch.tensor(lp)
            logprobs[b, j, n:] = -torch.inf
            present[b, j, :n] = True
            tail[b, j] = rest
            mask[b, j] = 1.0
    return {
        "soft_ids": ids,
        "soft_logprobs": logprobs,
        "soft_present": present,
        "soft_tail": tail,
        "soft_mask": mask,
    }
