"""What the teacher's distributions artifact holds (``stages/distributions.py``), typed, and
the batch tensors a soft term reads from it (``soft_targets.SoftLabelTerm``, on-policy terms)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch, pad_rows
from tokendistill.training.rows import TrainingRow
from tokendistill.training.soft_labels import SoftOver

__all__ = ["ChoiceTarget", "TeacherDistributions", "VocabularyTarget", "choice_tensors", "vocabulary_tensors"]


@dataclass(frozen=True)
class VocabularyTarget:
    """The teacher's top-k next tokens at every token of the forced answer (EOS included):
    ``target_ids`` [T], ``top_ids`` and ``top_logprobs`` [T][K] (log-probabilities at
    temperature 1), ``tail_logprobs`` [T], the log-probability of all other tokens (``-inf``
    when the top-k covers the vocabulary), and ``spans`` [T], the answer's characters each
    token covers (``models.token_pieces.target_spans``)."""

    target_ids: tuple[int, ...]
    top_ids: tuple[tuple[int, ...], ...]
    top_logprobs: tuple[tuple[float, ...], ...]
    tail_logprobs: tuple[float, ...]
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ChoiceTarget:
    """Each answer choice's summed log-probability under the teacher."""

    choices: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True)
class TeacherDistributions:
    """One distributions artifact: ``key`` (its artifact key, which students are keyed by),
    what it holds (``over``), the teacher's tokenizer (described for messages, and the
    fingerprint of its vocabulary), one target per training example id and the pieces
    (``models.token_pieces``) of the teacher tokens they name."""

    key: str
    over: SoftOver
    tokenizer: str
    vocabulary: str
    entries: Mapping[str, VocabularyTarget | ChoiceTarget]
    pieces: Mapping[int, str] = field(default_factory=dict)

    def __getitem__(self, example_id: str) -> VocabularyTarget | ChoiceTarget:
        try:
            return self.entries[example_id]
        except KeyError:
            raise KeyError(f"the teacher's distributions hold no example {example_id!r}") from None


def vocabulary_tensors(targets: Sequence[object], width: int) -> dict[str, torch.Tensor]:
    """``soft_ids`` / ``soft_logprobs`` [B, T, K]: the teacher's top-k per answer token,
    ``soft_tail`` [B, T] its tail and ``soft_mask`` [B, T] where it has an entry (zeros and an
    empty tail on rows without a soft term and past the teacher's answer, which the masks drop)."""
    k = max((len(t.top_ids[0]) for t in targets if isinstance(t, VocabularyTarget)), default=1)
    ids = torch.zeros((len(targets), width, k), dtype=torch.long)
    logprobs = torch.zeros((len(targets), width, k), dtype=torch.float32)
    tail = torch.full((len(targets), width), -torch.inf, dtype=torch.float32)
    mask = torch.zeros((len(targets), width), dtype=torch.float32)
    for b, target in enumerate(targets):
        if isinstance(target, VocabularyTarget):
            n = min(len(target.top_ids), width)  # another tokenizer's answer may be longer
            ids[b, :n] = torch.tensor(target.top_ids[:n], dtype=torch.long)
            logprobs[b, :n] = torch.tensor(target.top_logprobs[:n], dtype=torch.float32)
            tail[b, :n] = torch.tensor(target.tail_logprobs[:n], dtype=torch.float32)
            mask[b, :n] = 1.0
    return {"soft_ids": ids, "soft_logprobs": logprobs, "soft_tail": tail, "soft_mask": mask}


def choice_tensors(
    rows: Sequence[TrainingRow], targets: Sequence[object], adapter: ModelAdapter
) -> dict[str, torch.Tensor]:
    """Every (label prompt, candidate) pair encoded by the student, and per row [B, C] the
    index of its candidates' pairs, the teacher's scores and which entries are real."""
    width = max((len(t.choices) for t in targets if isinstance(t, ChoiceTarget)), default=1)
    index = torch.zeros((len(rows), width), dtype=torch.long)
    teacher = torch.zeros((len(rows), width), dtype=torch.float32)
    support = torch.zeros((len(rows), width), dtype=torch.bool)
    prompts, candidates = [], []
    for b, (row, target) in enumerate(zip(rows, targets, strict=True)):
        if not isinstance(target, ChoiceTarget):
            continue
        for c, (choice, score) in enumerate(zip(target.choices, target.scores, strict=True)):
            index[b, c], teacher[b, c], support[b, c] = len(prompts), score, True
            prompts.append(row.prompt)
            candidates.append(choice)
    pairs = adapter.encode(prompts, candidates) if prompts else _no_pairs()
    return {
        "soft_prompt_ids": pairs.prompt_ids,
        "soft_prompt_mask": pairs.prompt_mask,
        "soft_target_ids": pairs.target_ids,
        "soft_target_mask": pairs.target_mask,
        "soft_index": index,
        "soft_teacher": teacher,
        "soft_support": support,
    }


def _no_pairs() -> EncodedBatch:
    ids, mask = pad_rows([[0]], 0, left=False)
    return EncodedBatch(ids, mask, ids.clone(), mask.clone(), [])
