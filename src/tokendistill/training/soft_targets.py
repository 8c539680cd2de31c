"""The teacher's stored distributions, batched next to the rows and turned into the soft term.

``TeacherDistributions`` is what the distributions artifact holds (``distribution_targets.py``;
``stages/distributions.py`` computes it once per teacher, training split and setting; every KD
student and seed reads it). ``SoftLabelTerm`` is the loss term of a soft-label mode
(``training/terms.py``): it adds each label row's teacher distribution to the batch and weighs
its divergence by ``weight`` of the row's weight (the mode's cross-entropy takes the rest). See
``soft_labels.py`` for the settings and the kinds of distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

import torch
from transformers import PreTrainedTokenizerBase

from tokendistill.errors import InputError
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch
from tokendistill.models.token_pieces import VocabularyMap, target_spans
from tokendistill.runtime.files import stable_hash
from tokendistill.training.aligned_targets import AlignedTarget, align_target, aligned_tensors
from tokendistill.training.distribution_targets import (
    ChoiceTarget,
    TeacherDistributions,
    VocabularyTarget,
    choice_tensors,
    vocabulary_tensors,
)
from tokendistill.training.losses import generalized_jsd, packed_task_loss, sorted_distance, tail_bucket_jsd
from tokendistill.training.rows import TASK_LABEL, TrainingRow
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.terms import LossTerm, StepBatch, TaskWeights

if TYPE_CHECKING:
    from tokendistill.training.on_policy import OnPolicy

__all__ = [
    "ChoiceTarget",
    "SoftLabelMismatch",
    "SoftLabelTerm",
    "TeacherDistributions",
    "VocabularyTarget",
    "describe_tokenizer",
    "vocabulary_fingerprint",
    "vocabulary_tensors",
]


class SoftLabelMismatch(InputError):
    """Teacher and student cannot compare next-token distributions (vocabularies differ)."""


class SoftLabelTerm(LossTerm):
    """``config``'s soft term over ``distributions``, checked against the student's ``adapter``
    and label ``rows`` (``student``: how messages name the student's tokenizer); each label
    row weighs it by ``config.weight`` of its ``weights`` (the mode's task weights)."""

    name = "soft"

    def __init__(
        self,
        config: SoftLabelConfig,
        distributions: TeacherDistributions,
        adapter: ModelAdapter,
        rows: Sequence[TrainingRow],
        student: str,
        weights: TaskWeights | None = None,
        on_policy: OnPolicy | None = None,
    ) -> None:
        if config.over != distributions.over:
            raise ValueError(
                f"soft_labels over {config.over!r}, but the distributions hold {distributions.over!r}"
            )
        self.config = config
        self.distributions = distributions
        self.weights = weights or TaskWeights()
        if config.on_policy > 0 and on_policy is None:
            raise ValueError("soft_labels.on_policy needs the teacher loaded beside the student")
        self.on_policy = on_policy if config.on_policy > 0 else None
        self._ids = sorted({row.example_id for row in rows})
        self.vocabulary_map: VocabularyMap | None = None
        self._aligned: dict[str, AlignedTarget] = {}
        if config.over == "vocabulary" and config.match == "tokens":
            self._check_vocabulary(adapter, rows, student)
        if config.over == "vocabulary" and config.match == "aligned":
            same = vocabulary_fingerprint(adapter.tokenizer) == distributions.vocabulary
            self.vocabulary_map = VocabularyMap(adapter.tokenizer, same=same)
            self._check_alignment(adapter, rows, student)

    def _check_alignment(self, adapter: ModelAdapter, rows: Sequence[TrainingRow], student: str) -> None:
        """Some of the first label rows' answer positions align, with tokens both vocabularies hold."""
        labels = [row for row in rows if row.task == TASK_LABEL][:64]
        aligned = [self._aligned_target(row, adapter) for row in labels]
        if labels and not any(a.positions for a in aligned):
            raise SoftLabelMismatch(
                f"soft_labels.match: aligned found no answer position where the teacher's top tokens "
                f"({self.distributions.tokenizer}) have a token of the student ({student}) that adds the "
                f"same text, in the first {len(labels)} answers; set soft_labels.match: sorted or "
                "over: choices"
            )

    def _aligned_target(self, row: TrainingRow, adapter: ModelAdapter) -> AlignedTarget:
        if row.example_id not in self._aligned:
            teacher = self.distributions[row.example_id]
            if not isinstance(teacher, VocabularyTarget) or self.vocabulary_map is None:
                raise ValueError("match: aligned needs the teacher's next-token distributions")
            self._aligned[row.example_id] = align_target(
                teacher, self.distributions.pieces, target_spans(adapter, row.target), self.vocabulary_map
            )
        return self._aligned[row.example_id]

    def _check_vocabulary(self, adapter: ModelAdapter, rows: Sequence[TrainingRow], student: str) -> None:
        """One vocabulary, and every answer tokenised alike by teacher and student."""
        teacher = self.distributions
        if vocabulary_fingerprint(adapter.tokenizer) != teacher.vocabulary:
            raise SoftLabelMismatch(
                f"soft_labels over 'vocabulary' compares next-token distributions, but the teacher's "
                f"tokenizer ({teacher.tokenizer}) and the student's ({student}) have different vocabularies; "
                "set soft_labels.over: choices (distributions over the task's answer choices need no shared "
                "vocabulary), soft_labels.match: aligned or sorted, or give both models one tokenizer"
            )
        labels = [row for row in rows if row.task == TASK_LABEL]
        encoded = adapter.encode([""] * len(labels), [row.target for row in labels])
        for row, ids, mask in zip(
            labels, encoded.target_ids.tolist(), encoded.target_mask.tolist(), strict=True
        ):
            mine = tuple(i for i, m in zip(ids, mask, strict=True) if m)
            theirs = teacher[row.example_id]
            if not isinstance(theirs, VocabularyTarget) or mine != theirs.target_ids:
                raise SoftLabelMismatch(
                    f"example {row.example_id!r}: the teacher ({teacher.tokenizer}) and the student "
                    f"({student}) tokenise its answer {row.target!r} differently, so their next-token "
                    "distributions do not line up; set soft_labels.match: aligned or over: choices"
                )

    # ------------------------------------------------------------------ batching
    def collate(
        self,
        rows: Sequence[TrainingRow],
        out: dict[str, torch.Tensor],
        adapter: ModelAdapter,
        encoded: EncodedBatch,
    ) -> None:
        """Add the teacher's distributions of the batch's label rows to ``out`` (in place)."""
        mine = [self.distributions[row.example_id] if row.task == TASK_LABEL else None for row in rows]
        if self.on_policy is not None:
            index = {example_id: i for i, example_id in enumerate(self._ids)}
            out["soft_example"] = torch.tensor(
                [index[r.example_id] if r.task == TASK_LABEL else -1 for r in rows]
            )
        if self.config.match == "aligned":
            aligned = [self._aligned_target(r, adapter) if r.task == TASK_LABEL else None for r in rows]
            out.update(aligned_tensors(aligned, out["target_ids"].shape[1]))
        elif self.config.over == "vocabulary":
            out.update(vocabulary_tensors(mine, out["target_ids"].shape[1]))
        else:
            out.update(choice_tensors(rows, mine, adapter))

    # ---------------------------------------------------------------------- loss
    def applies(self, inputs: Mapping[str, torch.Tensor], step: int, training: bool) -> bool:
        labels = inputs["row_task"] == TASK_LABEL
        return bool((self.weights.at(inputs, step, training)[labels] > 0).any()) and self.config.weight > 0

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        """The weighted soft term of one micro-batch, normalised like the label task's
        cross-entropy (each task's target tokens over the whole optimizer step; only label
        rows carry a soft term)."""
        cfg, inputs = self.config, batch.inputs
        labels = inputs["row_task"] == TASK_LABEL
        if not labels.any():  # a batch of another task's rows (``RowCollator(by_task=True)``)
            return batch.logprobs.new_zeros(())
        if self.on_policy is not None and batch.training and self.on_policy.drawn(batch.step, cfg.on_policy):
            rows = labels.nonzero().squeeze(-1)
            ids = [self._ids[int(i)] for i in inputs["soft_example"][rows]]
            per_row = labels.new_zeros(labels.shape, dtype=torch.float32)
            divergence = self.on_policy.row_divergence(batch.adapter, ids, cfg, self.vocabulary_map)
            per_token = (
                per_row.index_put((rows,), divergence).unsqueeze(-1).expand(inputs["target_mask"].shape)
            )
        elif cfg.over == "vocabulary":
            per_token = self._stored_per_token(batch)
        else:
            per_token = _choice_divergence(batch, cfg).unsqueeze(-1).expand(inputs["target_mask"].shape)
        scaled = per_token * cfg.temperature**2
        weights = torch.where(labels, self.weights(batch) * cfg.weight, 0.0)
        return packed_task_loss(
            -scaled, inputs["target_mask"], weights, inputs["row_task"], batch.task_tokens
        )

    def _stored_per_token(self, batch: StepBatch) -> torch.Tensor:
        """[B, T] the term at every answer token from the stored next-token distributions."""
        cfg, inputs = self.config, batch.inputs
        stored = (inputs["soft_ids"], inputs["soft_logprobs"], inputs["soft_tail"])
        if cfg.match == "sorted":
            uld = partial(sorted_distance, temperature=cfg.temperature)
            return batch.per_position(uld, *stored[1:]) * inputs["soft_mask"]
        if cfg.match == "aligned":
            return (
                batch.per_position(bucket_divergence(cfg), *stored, inputs["soft_present"])
                * inputs["soft_mask"]
            )
        return batch.per_position(bucket_divergence(cfg), *stored)


def _choice_divergence(batch: StepBatch, cfg: SoftLabelConfig) -> torch.Tensor:
    """[B] each row's divergence over its answer choices, scored by the student."""
    inputs = batch.inputs
    pairs = EncodedBatch(
        inputs["soft_prompt_ids"],
        inputs["soft_prompt_mask"],
        inputs["soft_target_ids"],
        inputs["soft_target_mask"],
        [],
    )
    sequence = batch.adapter.target_logprobs(pairs).sum(-1)  # [N] each candidate's log-probability
    student = sequence[inputs["soft_index"]]  # [B, C]
    return generalized_jsd(
        student,
        inputs["soft_teacher"],
        beta=cfg.beta,
        temperature=cfg.temperature,
        support=inputs["soft_support"],
    )


def bucket_divergence(config: SoftLabelConfig) -> Callable[..., torch.Tensor]:
    """``config``'s divergence of a student's logits from the teacher's top-k and tail per
    position (``losses.tail_bucket_jsd``), along the gold answer or the student's own."""
    return partial(tail_bucket_jsd, beta=config.beta, temperature=config.temperature)


def vocabulary_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """A hash of the token -> id table: equal exactly when two tokenizers share a vocabulary."""
    return stable_hash(sorted(tokenizer.get_vocab().items()))


def describe_tokenizer(model: str, tokenizer: PreTrainedTokenizerBase) -> str:
    """How messages name a model's tokenizer: its spec, class and size."""
    return f"{model}: {type(tokenizer).__name__}, {len(tokenizer):,} tokens"
