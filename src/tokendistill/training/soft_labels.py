"""Soft-label (logit) distillation settings: the one home of their defaults.

A student of a soft-label mode (``kd``, ``kd-multitask``: its option ``soft_labels``) learns
its label task from the gold (or teacher) answer *and* from the teacher's distribution::

    label task = (1 - weight) * CE(answer) + weight * T² * D_beta(teacher_T || student_T)

and a two-task mode weighs that label task against the rationale task with ``alpha`` as
before, so ``kd-multitask`` trains ``α·(1−w)·CE + α·w·KD + (1−α)·rationale``: the issue's
``α'·label + β'·KD + (1−α'−β')·rationale`` with ``α' = α(1−w)`` and ``β' = αw``.
``D_beta`` is GKD's generalised Jensen-Shannon divergence (``losses.generalized_jsd``):
``beta = 0`` the forward KL of classical distillation (Hinton et al. 2015), ``1`` the reverse
KL; both distributions are tempered by ``temperature`` and the term is scaled by T², so its
gradients keep their size whatever T.

``over`` says which distributions are compared:

* ``vocabulary``: the next-token distributions at every token of the answer, teacher-forced;
  the teacher's ``top_k`` tokens per position are stored once (their log-probabilities in
  float16) with the mass of all other tokens (the tail, float32), and both distributions are
  compared over the top-k plus the tail as one bucket (``losses.tail_bucket_jsd``: no mass
  dropped, never negative, exact when ``top_k`` covers the vocabulary). Teacher and student
  must share one vocabulary and tokenise the answer alike: a clear error says when they do
  not. With ``match: sorted`` they need not: each answer position's probabilities are compared
  sorted (Universal Logit Distillation, Boizard et al. 2024: ``losses.sorted_distance``, an
  L1 distance, not a divergence), the teacher's i-th answer token against the student's i-th
  (the longer answer's extra positions get no soft term). Exact where both tokenizers split
  the answer alike; elsewhere an approximation that ignores which token carries which
  probability (``beta`` does not apply). With ``match: aligned`` (after GOLD's token
  alignment) the two are compared only where both have read the same characters of the
  answer, over the tokens that add the same text in both vocabularies, the rest as one
  bucket (``aligned_targets.py``): a divergence again, exact when the tokenizers are the same,
  blind to the teacher's mass on tokens the student lacks and to positions inside a word the
  two split differently.
  ``on_policy`` (GKD's λ) takes that share of the training steps' soft terms along the student's
  own answers instead, greedy or sampled at ``on_policy_temperature``, scored by the teacher
  loaded next to the student (``on_policy.py``; ``match: tokens`` or ``aligned``).
* ``choices``: the distribution over the task's answer choices, ``softmax`` of each
  candidate's summed log-probability, for teacher and student alike. No shared vocabulary
  is needed (a cross-tokenizer mode); the task needs choices (CQA, NLI labels, a custom
  task's choices field or label set). The example's divergence counts once per answer token,
  as its cross-entropy does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SoftLabelConfig", "SoftOver"]

SoftOver = Literal["vocabulary", "choices"]


class SoftLabelConfig(BaseModel):
    """``soft_labels`` of a student: which teacher distributions, how much, how soft."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    over: SoftOver = Field(
        "vocabulary", description="compare next-token distributions, or distributions over the answer choices"
    )
    weight: float = Field(0.5, ge=0.0, le=1.0, description="share of the label task learnt from the teacher")
    temperature: float = Field(
        2.0, gt=0.0, description="softens both distributions (the term is scaled by T²)"
    )
    beta: float = Field(0.0, ge=0.0, le=1.0, description="0: forward KL, 1: reverse KL, between: GKD's JSD")
    match: Literal["tokens", "sorted", "aligned"] = Field(
        "tokens",
        description="vocabulary: token by token (teacher and student share one tokenizer), each "
        "answer position's sorted probabilities (Universal Logit Distillation: any tokenizer pair), or "
        "tokens aligned through the answer's characters and the tokens' text (GOLD-style: any pair)",
    )
    top_k: int = Field(
        20, ge=1, le=4096, description="teacher tokens stored per answer position (vocabulary)"
    )
    on_policy: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of training steps whose soft term follows the student's own answers, scored by "
        "the teacher loaded beside it (GKD's λ; vocabulary, match: tokens or aligned)",
    )
    on_policy_temperature: float = Field(
        0.0,
        ge=0.0,
        description="0: the student's on-policy answers are greedy; above 0: sampled at this temperature",
    )

    @model_validator(mode="after")
    def _matches_need_the_vocabulary(self) -> SoftLabelConfig:
        if self.match != "tokens" and self.over != "vocabulary":
            raise ValueError(
                f"match: {self.match} compares next-token distributions; it needs over: vocabulary"
            )
        if self.match == "sorted" and self.beta != 0.0:
            raise ValueError("beta applies to divergences; match: sorted is a distance (leave beta at 0)")
        if self.on_policy > 0 and (self.over != "vocabulary" or self.match == "sorted"):
            raise ValueError(
                "on_policy scores the student's answers token by token: it needs over: vocabulary and "
                "match: tokens or aligned"
            )
        return self

    def stored(self) -> dict[str, object]:
        """What determines the stored teacher distributions (the rest applies at training)."""
        if self.over == "choices":
            return {"over": self.over, "top_k": None}
        return {"over": self.over, "top_k": self.top_k, "stored": "top-k float16 + tail, spans, pieces"}
