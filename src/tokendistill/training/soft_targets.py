"""The teacher's stored distributions, batched next to the rows and turned into the soft term.

``TeacherDistributions`` is what the distributions artifact holds (``stages/distributions.py``
computes it once per teacher, training split and setting; every KD student and seed reads
it). ``SoftLabelTerm`` is the loss term of a soft-label mode (``training/terms.py``): it adds
each label row's teacher distribution to the batch and weighs its divergence by ``weight`` of
the row's weight (the mode's cross-entropy takes the rest). See ``soft_labels.py`` for the
settings and the two kinds of distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import torch
from transformers import PreTrainedTokenizerBase

from tokendistill.errors import InputError
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch, pad_rows
from tokendistill.runtime.files import stable_hash
from tokendistill.training.losses import generalized_jsd, packed_task_loss, sorted_distance, tail_bucket_jsd
from tokendistill.training.rows import TASK_LABEL, TrainingRow
from tokendistill.training.soft_labels import SoftLabelConfig, SoftOver
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
]


class SoftLabelMismatch(InputError):
    """Teacher and student cannot compare next-token distributions (vocabularies differ)."""


@dataclass(frozen=True)
class VocabularyTarget:
    """The teacher's top-k next tokens at every token of the forced answer (EOS included):
    ``target_ids`` [T], ``top_ids`` and ``top_logprobs`` [T][K] (log-probabilities at
    temperature 1), and ``tail_logprobs`` [T], the log-probability of all other tokens
    (``-inf`` when the top-k covers the vocabulary)."""

    target_ids: tuple[int, ...]
    top_ids: tuple[tuple[int, ...], ...]
    top_logprobs: tuple[tuple[float, ...], ...]
    tail_logprobs: tuple[float, ...]


@dataclass(frozen=True)
class ChoiceTarget:
    """Each answer choice's summed log-probability under the teacher."""

    choices: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True)
class TeacherDistributions:
    """One distributions artifact: ``key`` (its artifact key, which students are keyed by),
    what it holds (``over``), the teacher's tokenizer (described for messages, and the
    fingerprint of its vocabulary) and one target per training example id."""

    key: str
    over: SoftOver
    tokenizer: str
    vocabulary: str
    entries: Mapping[str, VocabularyTarget | ChoiceTarget]

    def __getitem__(self, example_id: str) -> VocabularyTarget | ChoiceTarget:
        try:
            return self.entries[example_id]
        except KeyError:
            raise KeyError(f"the teacher's distributions hold no example {example_id!r}") from None


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
        if config.over == "vocabulary" and config.match == "tokens":
            self._check_vocabulary(adapter, rows, student)

    def _check_vocabulary(self, adapter: ModelAdapter, rows: Sequence[TrainingRow], student: str) -> None:
        """One vocabulary, and every answer tokenised alike by teacher and student."""
        teacher = self.distributions
        if vocabulary_fingerprint(adapter.tokenizer) != teacher.vocabulary:
            raise SoftLabelMismatch(
                f"soft_labels over 'vocabulary' compares next-token distributions, but the teacher's "
                f"tokenizer ({teacher.tokenizer}) and the student's ({student}) have different vocabularies; "
                "set soft_labels.over: choices (distributions over the task's answer choices need no shared "
                "vocabulary) or soft_labels.match: sorted, or give both models one tokenizer"
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
                    "distributions do not line up; set soft_labels.over: choices"
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
        if self.config.over == "vocabulary":
            out.update(vocabulary_tensors(mine, out["target_ids"].shape[1]))
        else:
            out.update(_choice_tensors(rows, mine, adapter))

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
            per_row = per_row.index_put((rows,), self.on_policy.row_divergence(batch.adapter, ids, cfg))
            per_token = per_row.unsqueeze(-1).expand(inputs["target_mask"].shape)
        elif cfg.over == "vocabulary" and cfg.match == "sorted":
            uld = partial(sorted_distance, temperature=cfg.temperature)
            distance = batch.per_position(uld, inputs["soft_logprobs"], inputs["soft_tail"])
            per_token = distance * inputs["soft_mask"]
        elif cfg.over == "vocabulary":
            per_token = batch.per_position(
                bucket_divergence(cfg),
                inputs["soft_ids"],
                inputs["soft_logprobs"],
                inputs["soft_tail"],
            )
        else:
            pairs = EncodedBatch(
                inputs["soft_prompt_ids"],
                inputs["soft_prompt_mask"],
                inputs["soft_target_ids"],
                inputs["soft_target_mask"],
                [],
            )
            sequence = batch.adapter.target_logprobs(pairs).sum(-1)  # [N] each candidate's log-probability
            student = sequence[inputs["soft_index"]]  # [B, C]
            per_row = generalized_jsd(
                student,
                inputs["soft_teacher"],
                beta=cfg.beta,
                temperature=cfg.temperature,
                support=inputs["soft_support"],
            )
            per_token = per_row.unsqueeze(-1).expand(inputs["target_mask"].shape)
        scaled = per_token * cfg.temperature**2
        weights = torch.where(labels, self.weights(batch) * cfg.weight, 0.0)
        return packed_task_loss(
            -scaled, inputs["target_mask"], weights, inputs["row_task"], batch.task_tokens
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


def _choice_tensors(
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
