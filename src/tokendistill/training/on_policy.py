"""On-policy soft labels (GKD, Agarwal et al. 2024; TRL's ``GKDTrainer`` ``lmbda``).

Stored soft labels teach the student the teacher's distributions along the gold answer, a
sequence the student may never produce itself. On a share λ (``soft_labels.on_policy``) of the
optimizer steps, the soft term is taken along the student's own answer instead: the student
answers each label row's prompt (greedy, dropout off, no gradient), the live teacher is
teacher-forced on that answer after its own prompt (its top-k and tail at every answer token,
as the stored cache holds them), and the student's distributions along the same answer are
compared with the teacher's. Which steps are on-policy is drawn from the step number alone, so
every process of a data-parallel run and a resumed run draw alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from tokendistill.evaluation.predict import without_dropout
from tokendistill.models.adapter import ModelAdapter
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import bucket_divergence, vocabulary_tensors
from tokendistill.training.teacher_targets import teacher_targets

DRAW_SEED = 7919  # the on-policy draw's own stream, apart from the run's seed


@dataclass(frozen=True)
class OnPolicy:
    """The live ``teacher`` and the prompts of every training example (id -> text): the
    student's label prompt and the teacher's own."""

    teacher: ModelAdapter
    student_prompts: Mapping[str, str]
    teacher_prompts: Mapping[str, str]

    def drawn(self, step: int, share: float) -> bool:
        """Whether optimizer step ``step`` is on-policy (probability ``share``)."""
        generator = torch.Generator().manual_seed(DRAW_SEED * 1_000_003 + step)
        return float(torch.rand((), generator=generator)) < share

    def row_divergence(
        self, student: ModelAdapter, example_ids: Sequence[str], config: SoftLabelConfig
    ) -> torch.Tensor:
        """[N] each example's divergence between teacher and student along the student's own
        answer, the mean over its answer tokens (differentiable for the student)."""
        prompts = [self.student_prompts[i] for i in example_ids]
        with without_dropout(student):
            answers = student.generate(prompts)  # no gradient (``generate`` is no_grad)
        teacher_prompts = [self.teacher_prompts[i] for i in example_ids]
        targets = teacher_targets(self.teacher, config, teacher_prompts, [[a] for a in answers], len(prompts))
        batch = student.encode(prompts, answers).to(student.device)
        soft = {
            k: v.to(student.device) for k, v in vocabulary_tensors(targets, batch.target_ids.shape[1]).items()
        }
        divergence = bucket_divergence(config)
        per_token = divergence(
            student.target_logits(batch), soft["soft_ids"], soft["soft_logprobs"], soft["soft_tail"]
        )
        mask = batch.target_mask.to(per_token.dtype) * soft["soft_mask"]
        return (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)
