"""On-policy soft labels (GKD, Agarwal et al. 2024; TRL's ``GKDTrainer`` ``lmbda``).

Stored soft labels teach the student the teacher's distributions along the gold answer, a
sequence the student may never produce itself. On a share λ (``soft_labels.on_policy``) of the
optimizer steps, the soft term is taken along the student's own answer instead: the student
answers each label row's prompt (greedy or sampled at ``on_policy_temperature``, dropout off,
no gradient), the live teacher is teacher-forced on that answer after its own prompt (its
top-k and tail at every answer token, as the stored cache holds them), and the student's
distributions along the same answer are compared with the teacher's (token by token, or
aligned through the answer's characters for a student of another tokenizer).
Which steps are on-policy is drawn from the step number alone, so every process of a
data-parallel run and a resumed run draw alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from tokendistill.evaluation.predict import without_dropout
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.token_pieces import VocabularyMap, target_spans, token_pieces
from tokendistill.training.aligned_targets import align_target, aligned_tensors
from tokendistill.training.distribution_targets import vocabulary_tensors
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import bucket_divergence
from tokendistill.training.teacher_targets import teacher_targets

DRAW_SEED = 7919  # the on-policy draw's own stream, apart from the run's seed


@dataclass(frozen=True)
class OnPolicy:
    """The live ``teacher`` and the prompts of every training example (id -> text): the
    student's label prompt and the teacher's own."""

    teacher: ModelAdapter
    student_prompts: Mapping[str, str]
    teacher_prompts: Mapping[str, str]
    pieces: dict[int, str] = field(default_factory=dict)

    def drawn(self, step: int, share: float) -> bool:
        """Whether optimizer step ``step`` is on-policy (probability ``share``)."""
        generator = torch.Generator().manual_seed(DRAW_SEED * 1_000_003 + step)
        return float(torch.rand((), generator=generator)) < share

    def row_divergence(
        self,
        student: ModelAdapter,
        example_ids: Sequence[str],
        config: SoftLabelConfig,
        vocabulary: VocabularyMap | None = None,
    ) -> torch.Tensor:
        """[N] each example's divergence between teacher and student along the student's own
        answer, the mean over its (aligned, with ``vocabulary``: ``match: aligned``) answer
        tokens (differentiable for the student)."""
        prompts = [self.student_prompts[i] for i in example_ids]
        with without_dropout(student):  # no gradient (``generate`` is no_grad)
            answers = student.generate(prompts, temperature=config.on_policy_temperature)
        teacher_prompts = [self.teacher_prompts[i] for i in example_ids]
        targets = teacher_targets(self.teacher, config, teacher_prompts, [[a] for a in answers], len(prompts))
        batch = student.encode(prompts, answers).to(student.device)
        width = batch.target_ids.shape[1]
        if vocabulary is not None:
            pieces = self._pieces(t for target in targets for row in target.top_ids for t in row)
            aligned = [
                align_target(target, pieces, target_spans(student, answer), vocabulary)
                for target, answer in zip(targets, answers, strict=True)
            ]
            soft = aligned_tensors(aligned, width)
        else:
            soft = vocabulary_tensors(targets, width)
        soft = {k: v.to(student.device) for k, v in soft.items()}
        per_token = bucket_divergence(config)(
            student.target_logits(batch),
            soft["soft_ids"],
            soft["soft_logprobs"],
            soft["soft_tail"],
            soft.get("soft_present"),
        )
        mask = batch.target_mask.to(per_token.dtype) * soft["soft_mask"]
        return (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)

    def _pieces(self, ids: Iterable[int]) -> dict[int, str]:
        """The teacher's token pieces, computed once per token."""
        wanted = set(ids) - self.pieces.keys()
        self.pieces.update(token_pieces(self.teacher.tokenizer, sorted(wanted)))
        return self.pieces
