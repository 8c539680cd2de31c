"""Training batches of similar lengths, drawn the same way again when a run resumes.

Where the task's answers are a few classes, each batch keeps the classes' mix: on e-SNLI the
label shows in the length (neutral prompts are the longest), so batches of similar lengths
alone hold one label more often (the largest label's share of a batch of 16: 0.56 against
0.45 in random order), and a label-only student learnt less from them (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler

from tokendistill.models.adapter import ModelAdapter
from tokendistill.training.rows import TASK_LABEL, TrainingRow

CHUNK = 1024  # rows encoded at once to count tokens
GROUP_BATCHES = 50  # batches per group (transformers' LengthGroupedSampler's "mega-batch")
MAX_CLASSES = 16  # more distinct answers than this: a generative task, grouped by length alone

Widths = tuple[int, ...]


def batch_widths(adapter: ModelAdapter, items: Sequence[tuple[TrainingRow, ...]]) -> list[Widths]:
    """The widths, in tokens, that each item pads a batch holding it to at least: its rows'
    longest prompt and longest target for an encoder-decoder model (which pads the two apart),
    its longest prompt + target for a decoder-only one. Characters are a poor proxy (on e-SNLI
    rows grouped by characters kept 17 % padding, by tokens 7 %)."""
    rows = [(i, row) for i, item in enumerate(items) for row in item]
    prompts, targets = [0] * len(items), [0] * len(items)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        batch = adapter.encode([r.prompt for _, r in chunk], [r.target for _, r in chunk])
        pairs = zip(batch.prompt_mask.sum(-1).tolist(), batch.target_mask.sum(-1).tolist(), strict=True)
        for (i, _), (prompt, target) in zip(chunk, pairs, strict=True):
            if adapter.architecture == "seq2seq":
                prompts[i], targets[i] = max(prompts[i], prompt), max(targets[i], target)
            else:
                prompts[i] = max(prompts[i], prompt + target)
    if adapter.architecture == "seq2seq":
        return list(zip(prompts, targets, strict=True))
    return [(n,) for n in prompts]


def answer_classes(items: Sequence[tuple[TrainingRow, ...]]) -> list[int] | None:
    """Each item's class, the index of its answer, where every item is one label row and the
    answers are 2 to ``MAX_CLASSES`` distinct texts (None otherwise: no classes to keep mixed).
    Two-task items are grouped mostly by their rationale's width, which kept e-SNLI's label mix
    (the largest label's share of a batch 0.487 against 0.453 in random order) where keeping
    the classes' shares cost padding (12.2 % of computed tokens against 9.1 %)."""
    if any(len(item) != 1 or item[0].task != TASK_LABEL for item in items):
        return None
    answers = [item[0].target for item in items]
    distinct = sorted(set(answers))
    if not 2 <= len(distinct) <= MAX_CLASSES:
        return None
    index = {answer: i for i, answer in enumerate(distinct)}
    return [index[a] for a in answers]


def split_by_classes(
    indices: list[int], widths: Sequence[Widths], classes: Sequence[int], batch_size: int
) -> list[list[int]]:
    """``split_by_widths`` whose every split keeps the classes' shares: each class is sorted by
    the widest width and cut at its own share of the split point (largest remainders), so each
    half, and in the end each batch, holds every class in its share of the items."""
    if len(indices) <= batch_size:
        return [indices]
    widest = _widest(indices, widths)
    members: dict[int, list[int]] = {}
    for i in sorted(indices, key=lambda i: widths[i][widest], reverse=True):
        members.setdefault(classes[i], []).append(i)
    cut = (len(indices) + batch_size - 1) // batch_size // 2 * batch_size
    quotas = {c: len(m) * cut / len(indices) for c, m in members.items()}
    counts = {c: int(q) for c, q in quotas.items()}
    for c in sorted(quotas, key=lambda c: (counts[c] - quotas[c], c))[: cut - sum(counts.values())]:
        counts[c] += 1
    first = [i for c, m in members.items() for i in m[: counts[c]]]
    rest = [i for c, m in members.items() for i in m[counts[c] :]]
    return split_by_classes(first, widths, classes, batch_size) + split_by_classes(
        rest, widths, classes, batch_size
    )


def _widest(indices: list[int], widths: Sequence[Widths]) -> int:
    """The width (prompt, target) whose values span the most tokens among ``indices``."""
    spans = [
        max(widths[i][d] for i in indices) - min(widths[i][d] for i in indices) for d in range(len(widths[0]))
    ]
    return max(range(len(spans)), key=spans.__getitem__)


def split_by_widths(indices: list[int], widths: Sequence[Widths], batch_size: int) -> list[list[int]]:
    """``indices`` cut into batches of ``batch_size`` of similar widths (the last may be short):
    sorted by the width that spans most tokens among them and halved there, at a whole number of
    batches, until a batch is left (a k-d tree's median split). With one width this is a sort cut
    into consecutive batches; with two (an encoder-decoder's prompt and target, which a sort by
    their sum mixes) it keeps both narrow: the DSS-PaLM e-SNLI student's rows, 600 of them in
    batches of 16, pad 9 % of what they compute against 19 % sorted by the longer row's total."""
    if len(indices) <= batch_size:
        return [indices]
    widest = _widest(indices, widths)
    ordered = sorted(indices, key=lambda i: widths[i][widest], reverse=True)
    cut = (len(indices) + batch_size - 1) // batch_size // 2 * batch_size
    return split_by_widths(ordered[:cut], widths, batch_size) + split_by_widths(
        ordered[cut:], widths, batch_size
    )


def length_grouped_order(
    widths: Sequence[Widths],
    batch_size: int,
    generator: torch.Generator,
    classes: Sequence[int] | None = None,
) -> list[int]:
    """Every index once, so that each ``batch_size`` consecutive ones have similar widths.

    The indices are shuffled and cut into groups of ``GROUP_BATCHES`` batches; each group is
    split into batches by ``split_by_widths`` (by ``split_by_classes`` where the items have
    ``classes``); the batches are shuffled across groups
    (transformers' sampler keeps them longest-first within a group, a curriculum by length, and
    makes at least four groups, which on small sets keeps much padding: 19 % instead of 10 % on
    256 e-SNLI rows), the batch with the widest item goes first (an out-of-memory shows at once)
    and a partial batch last, so that every slice stays one batch. A set of up to 50 batches is
    one group: its batches hold the same neighbours in length every epoch, in a new order (as
    fairseq's length buckets do).
    """
    n = len(widths)
    group = GROUP_BATCHES * batch_size
    shuffled = torch.randperm(n, generator=generator).tolist()
    batches = []
    for start in range(0, n, group):
        members = shuffled[start : start + group]
        if classes is None:
            batches += split_by_widths(members, widths, batch_size)
        else:
            batches += split_by_classes(members, widths, classes, batch_size)
    full = [b for b in batches if len(b) == batch_size]
    partial = [b for b in batches if len(b) < batch_size]
    full = [full[i] for i in torch.randperm(len(full), generator=generator).tolist()]
    if full:
        longest = max(range(len(full)), key=lambda j: max(sum(widths[i]) for i in full[j]))
        full.insert(0, full.pop(longest))
    return [i for batch in [*full, *partial] for i in batch]


class LengthGroupedEpochs(Sampler[int]):
    """``length_grouped_order`` drawn from ``seed`` and the epoch alone: a run resumed from a
    checkpoint draws the epoch's batches exactly as the uninterrupted run did (a sampler that
    draws from the global generator would not: a checkpoint saves its state mid-epoch)."""

    def __init__(
        self, batch_size: int, widths: Sequence[Widths], seed: int, classes: Sequence[int] | None = None
    ) -> None:
        self.batch_size = batch_size
        self.widths = list(widths)
        self.classes = None if classes is None else list(classes)
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.widths)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(length_grouped_order(self.widths, self.batch_size, generator, self.classes))
