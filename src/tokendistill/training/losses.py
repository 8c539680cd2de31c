"""The packed multi-task loss: both DSS tasks in one forward pass.

Distilling Step-by-Step (Hsieh et al. 2023, arXiv 2305.02301) runs two forward passes per
step and combines Hugging Face's token-mean cross-entropies::

    loss = alpha * mean_token_CE(predict rows) + (1 - alpha) * mean_token_CE(explain rows)

Here the rows of both tasks share one padded batch. Each row carries a weight (alpha or
1 - alpha) and a task tag; dividing its summed CE by the token count *of its task* gives
exactly the two-pass loss when the counts are those of the batch itself.

Gradient accumulation and data parallelism: the counts are taken over every micro-batch of
one optimizer step on every process (``DistillTrainer.get_batch_samples``). Each micro-batch
then contributes its share of the token-mean over the whole effective batch, so the summed
gradient equals that of the two-pass loss on the effective batch as one batch, whatever the
padding or the split into micro-batches (not the mean of per-micro-batch means).

Soft-label distillation adds a divergence between the teacher's and the student's
distributions (``generalized_jsd``), normalised the same way (``soft_targets.py``).
"""

from __future__ import annotations

import math

import torch


def task_token_counts(target_mask: torch.Tensor, row_task: torch.Tensor, num_tasks: int) -> torch.Tensor:
    """Real target tokens per task.

    Args:
        target_mask: [B, T], 1 on real target tokens (EOS included), 0 on padding.
        row_task: [B] integer task tag of each row, in ``[0, num_tasks)``.
        num_tasks: K.

    Returns:
        [K] float tensor of token counts.
    """
    per_row = target_mask.sum(-1).to(torch.float32)
    counts = torch.zeros(num_tasks, dtype=torch.float32, device=per_row.device)
    return counts.index_add(0, row_task.to(per_row.device), per_row)


def row_nll(token_logprobs: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
    """[B] summed negative log-likelihood of each row's real target tokens."""
    return -(token_logprobs * target_mask.to(token_logprobs.dtype)).sum(-1)


def task_nll_sums(
    token_logprobs: torch.Tensor, target_mask: torch.Tensor, row_task: torch.Tensor, num_tasks: int
) -> torch.Tensor:
    """[K] float tensor: each task's summed NLL over its real target tokens (divided by
    ``task_token_counts`` it is the task's token-mean loss, the figure DSS logs per task)."""
    per_row = row_nll(token_logprobs, target_mask).to(torch.float32)
    sums = torch.zeros(num_tasks, dtype=torch.float32, device=per_row.device)
    return sums.index_add(0, row_task.to(per_row.device), per_row)


def packed_task_loss(
    token_logprobs: torch.Tensor,
    target_mask: torch.Tensor,
    row_weight: torch.Tensor,
    row_task: torch.Tensor,
    task_tokens: torch.Tensor,
) -> torch.Tensor:
    """Weighted per-task token-mean negative log-likelihood.

    ``sum_b row_weight[b] * (-sum_t token_logprobs[b, t]) / task_tokens[row_task[b]]``

    Args:
        token_logprobs: [B, T] log p(target token), any value at padding (masked here).
        target_mask: [B, T], 1 on real target tokens.
        row_weight: [B] task weight of each row (alpha / 1 - alpha; 1 for a single task).
        row_task: [B] integer task tag of each row.
        task_tokens: [K] normaliser per task: the task's token count over the batch, or over
            the accumulated micro-batches and processes of one optimizer step.

    Returns:
        Scalar loss. A task with no tokens contributes 0 (its count is clamped to 1).
    """
    nll = row_nll(token_logprobs, target_mask)  # [B]
    denominators = task_tokens.to(nll).clamp(min=1.0)[row_task.to(nll.device)]  # [B]
    return (row_weight.to(nll) * nll / denominators).sum()


def generalized_jsd(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    *,
    beta: float = 0.0,
    temperature: float = 1.0,
    support: torch.Tensor | None = None,
) -> torch.Tensor:
    """The generalised Jensen-Shannon divergence of GKD (Agarwal et al. 2024; TRL's
    ``generalized_jsd_loss``) between the tempered distributions ``softmax(logits / T)`` over
    the last dimension, one value per leading position.

    ``beta = 0`` is the forward KL(teacher || student) of classical distillation, ``beta = 1``
    the reverse KL(student || teacher); in between,
    ``beta * KL(teacher || M) + (1 - beta) * KL(student || M)`` with ``M = beta * teacher +
    (1 - beta) * student``. ``support`` (bool, same shape) restricts both distributions to its
    True entries (padded candidates, a top-k subset); each position needs one True entry.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must lie in [0, 1], got {beta}")
    student, teacher = student_logits.float() / temperature, teacher_logits.float() / temperature
    if support is not None:
        # A large finite negative instead of -inf: probability 0 without 0 * inf = nan in backward.
        student = student.masked_fill(~support, -1e9)
        teacher = teacher.masked_fill(~support, -1e9)
    log_s, log_t = torch.log_softmax(student, dim=-1), torch.log_softmax(teacher, dim=-1)
    if beta == 0.0:
        return _kl(log_t, log_s)
    if beta == 1.0:
        return _kl(log_s, log_t)
    log_mix = torch.logsumexp(torch.stack([log_t + math.log(beta), log_s + math.log(1.0 - beta)]), dim=0)
    return beta * _kl(log_t, log_mix) + (1.0 - beta) * _kl(log_s, log_mix)


def tail_logprob(logprobs: torch.Tensor, top_ids: torch.Tensor) -> torch.Tensor:
    """[...] the log-probability of every token but ``top_ids`` [..., K], from full
    log-probabilities [..., V]: ``-inf`` exactly when the top-k covers the vocabulary."""
    return torch.logsumexp(logprobs.scatter(-1, top_ids, -torch.inf), dim=-1)


def tail_bucket_jsd(
    student_logits: torch.Tensor,
    top_ids: torch.Tensor,
    teacher_top: torch.Tensor,
    teacher_tail: torch.Tensor,
    present: torch.Tensor | None = None,
    *,
    beta: float = 0.0,
    temperature: float = 1.0,
) -> torch.Tensor:
    """``generalized_jsd`` between teacher and student over K + 1 buckets per position: the
    teacher's top-k tokens one by one and the rest of the vocabulary as one (the tail), so no
    mass is dropped and the divergence is never negative. A compact teacher cache keeps just
    these: ``top_ids`` [..., K], the teacher's log-probabilities ``teacher_top`` [..., K] and
    its tail's ``teacher_tail`` [...] (``tail_logprob``: ``-inf`` when the top-k covers the
    vocabulary). The student's buckets come from its full ``student_logits`` [..., V].
    ``temperature`` tempers the bucket distributions (the tail as one token). When the top-k
    covers the vocabulary the tail is empty and this is the exact divergence. ``present``
    (bool [..., K]) marks the real entries where positions hold fewer than K tokens; an absent
    entry repeats a present entry's id (the first entry is always present)."""
    log_s = torch.log_softmax(student_logits.float(), dim=-1)
    student_top = log_s.gather(-1, top_ids)
    has_tail = torch.isfinite(teacher_tail)
    # The student's tail: the log-sum of the rest; a row without a tail gets a safe finite
    # entry (its logsumexp over -inf alone would have a NaN gradient), masked below anyway.
    rest = log_s.scatter(-1, top_ids, -torch.inf)
    rest[..., 0] = torch.where(has_tail, rest[..., 0], 0.0)
    student_tail = torch.logsumexp(rest, dim=-1)
    student = torch.cat([student_top, student_tail.unsqueeze(-1)], dim=-1)
    teacher, support = _teacher_buckets(teacher_top, teacher_tail)
    if present is not None:
        support = torch.cat([present, support[..., -1:]], dim=-1)
    return generalized_jsd(student, teacher, beta=beta, temperature=temperature, support=support)


def sorted_distance(
    student_logits: torch.Tensor,
    teacher_top: torch.Tensor,
    teacher_tail: torch.Tensor,
    *,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Universal Logit Distillation's distance (Boizard et al. 2024), for any pair of
    vocabularies: the L1 distance between the two distributions' probabilities sorted in
    decreasing order, so no token of one vocabulary needs a match in the other. From the
    teacher's compact cache: its top-k (``teacher_top`` [..., K], log-probabilities in
    decreasing order) against the student's K largest, and the rest as one bucket on each side
    (``teacher_tail`` [...]); both tempered like ``tail_bucket_jsd``'s buckets. One value per
    position; 0 when the distributions are equal up to a permutation of tokens."""
    k = teacher_top.shape[-1]
    student = torch.softmax(student_logits.float() / temperature, dim=-1).topk(k, dim=-1).values
    buckets, support = _teacher_buckets(teacher_top, teacher_tail)
    teacher = torch.softmax(buckets.masked_fill(~support, -1e9) / temperature, dim=-1)
    rest = (1.0 - student.sum(-1)).clamp(min=0.0)
    return (student - teacher[..., :k]).abs().sum(-1) + (rest - teacher[..., k]).abs()


def _teacher_buckets(top: torch.Tensor, tail: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The compact cache as K + 1 bucket log-probabilities [..., K + 1] (the tail last), and
    which buckets exist (an empty tail, ``-inf``, does not)."""
    buckets = torch.cat([top.float(), tail.float().unsqueeze(-1)], dim=-1)
    support = torch.cat([torch.ones_like(top, dtype=torch.bool), torch.isfinite(tail).unsqueeze(-1)], dim=-1)
    return buckets, support


def _kl(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) over the last dimension, from log-probabilities."""
    return (log_p.exp() * (log_p - log_q)).sum(-1)
