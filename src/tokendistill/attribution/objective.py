"""The attributed function and the one batched forward/backward every gradient method uses.

Teacher forcing: the target (teacher answer or gold label) is fed to the model, and each
target token ``t`` gets a score ``f_t`` (its log-probability, probability or logit given the
prompt and the target tokens before it). Gradient methods differentiate either

* ``sequence``: ``F = mean_t f_t`` per example. Examples are independent, so the gradient
  of ``sum_b F_b`` w.r.t. the batch's prompt embeddings holds every example's own gradient:
  ONE backward per batch; or
* ``per_step``: each ``f_t`` separately (Inseq's convention), one backward per target step
  over the whole batch, all sharing a single forward. Causal masking makes the full
  teacher-forced forward give, at step ``t``, exactly the value Inseq gets by re-running the
  model on the prefix ``target_<t``.

Contrastive attribution (``contrastive=True``) differentiates the margin of the answer
over a *foil*, ``F(answer) − F(foil)`` (Yin & Neubig 2022), with the foil the best other
answer choice: the answer's evidence *against* the alternative the model found likeliest.
Batches then carry each row's foil (``ContrastiveBatch``); ``sequence`` aggregation only.

Gradients flow only to the prompt-embedding leaf (parameters are frozen by the caller).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import torch

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch

# The choices live here, next to the code that branches on them; the attribution config
# reuses these types, so every layer accepts exactly the same values.
AttributedFn = Literal["logprob", "probability", "logit"]
Aggregation = Literal["sequence", "per_step"]


@dataclass(frozen=True)
class GradientStep:
    """One gradient of the attributed function.

    ``grad`` [N, P, H] is d(f)/d(prompt embeddings), float32. ``weight`` [N] is how much this
    gradient's per-token scores count in the example's final score: 1 in ``sequence`` mode
    (the gradient is already of the mean), ``mask_t / n_target`` in ``per_step`` mode (so the
    weighted sum over steps is the mean over the example's real target tokens). ``step`` is
    the target index, or -1 for the whole sequence.
    """

    grad: torch.Tensor
    weight: torch.Tensor
    step: int


@dataclass
class ContrastiveBatch(EncodedBatch):
    """An encoded batch whose row ``b`` also carries a foil target (``foil_ids``/``foil_mask``
    [B, T']), kept aligned with its row by ``select`` and ``to``."""

    foil_ids: torch.Tensor
    foil_mask: torch.Tensor

    def to(self, device: torch.device | str) -> ContrastiveBatch:
        moved = EncodedBatch(self.prompt_ids, self.prompt_mask, self.target_ids, self.target_mask, [])
        return _with_foil(moved.to(device), self.prompt_offsets, self.foil_ids.to(device), self.foil_mask)

    def select(self, rows: Sequence[int]) -> ContrastiveBatch:
        index = torch.as_tensor(list(rows), dtype=torch.long, device=self.foil_ids.device)
        return _with_foil(super().select(rows), None, self.foil_ids[index], self.foil_mask[index])

    def compact(self) -> tuple[ContrastiveBatch, torch.Tensor]:
        compacted, prompt_cols = super().compact()
        foil_cols = self.foil_mask.any(0).nonzero().squeeze(-1)
        foils = _with_foil(compacted, None, self.foil_ids[:, foil_cols], self.foil_mask[:, foil_cols])
        return foils, prompt_cols

    def foil(self) -> EncodedBatch:
        """The same prompts with the foils as targets."""
        return EncodedBatch(
            self.prompt_ids, self.prompt_mask, self.foil_ids, self.foil_mask, self.prompt_offsets
        )


def _with_foil(
    batch: EncodedBatch, offsets: list | None, foil_ids: torch.Tensor, foil_mask: torch.Tensor
) -> ContrastiveBatch:
    return ContrastiveBatch(
        batch.prompt_ids,
        batch.prompt_mask,
        batch.target_ids,
        batch.target_mask,
        batch.prompt_offsets if offsets is None else offsets,
        foil_ids,
        foil_mask.to(foil_ids.device),
    )


class Objective:
    """The attributed function of a teacher-forced batch: ``adapter`` + choice of fn and
    aggregation, and whether it is the margin over each row's foil (``contrastive``)."""

    def __init__(
        self,
        adapter: ModelAdapter,
        attributed_fn: AttributedFn = "logprob",
        aggregation: Aggregation = "sequence",
        *,
        contrastive: bool = False,
        fused: bool = False,
    ):
        if attributed_fn not in get_args(AttributedFn):
            raise ValueError(
                f"attributed_fn must be one of {list(get_args(AttributedFn))}, got {attributed_fn!r}"
            )
        if aggregation not in get_args(Aggregation):
            raise ValueError(f"aggregation must be one of {list(get_args(Aggregation))}, got {aggregation!r}")
        if contrastive and aggregation != "sequence":
            raise ValueError("contrastive attribution differentiates a sequence-level margin: use 'sequence'")
        self.adapter = adapter
        self.attributed_fn = attributed_fn
        self.aggregation = aggregation
        self.contrastive = contrastive
        self.fused = fused

    def fused_kernels(self) -> Objective:
        """This objective computed with fused kernels: the output head over one contiguous
        block of target positions and ``log_softmax`` (one fused pass forward and backward,
        where ``logsumexp`` takes several). The same function up to float rounding, about 2x
        cheaper in the output head; integrated gradients, which runs it ``n_steps`` times,
        uses it. (Saliency keeps the original kernels: the built-in demo's pinned figures
        hold its scores to the last bit.)"""
        return Objective(
            self.adapter, self.attributed_fn, self.aggregation, contrastive=self.contrastive, fused=True
        )

    def embed(self, batch: EncodedBatch) -> torch.Tensor:
        """Prompt word embeddings, detached, in float32 whatever the model's dtype: [B, P, H].

        Gradients are taken against a float32 leaf (the adapter casts it to the model's dtype
        on the way in), so a bf16 model's gradients arrive, and are reduced, in float32.
        """
        with torch.no_grad():
            return self.adapter.embed(batch.prompt_ids).detach().float()

    def token_scores(self, batch: EncodedBatch, prompt_embeds: torch.Tensor) -> torch.Tensor:
        """``f_t`` for every target token: [B, T] float32, 0 at target padding."""
        logits = self.adapter.target_logits(batch, prompt_embeds, contiguous=self.fused).float()  # [B, T, V]
        target = batch.target_ids.unsqueeze(-1)
        if self.attributed_fn == "logit":
            picked = logits.gather(-1, target).squeeze(-1)  # [B, T]
        elif self.fused:
            picked = torch.log_softmax(logits, dim=-1).gather(-1, target).squeeze(-1)
        else:
            # log p = z_y - logsumexp(z): no [B, T, V] log-softmax is kept.
            picked = logits.gather(-1, target).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        if self.attributed_fn == "probability":
            picked = picked.exp()
        return picked * batch.target_mask.to(picked.dtype)

    def values(self, batch: EncodedBatch, prompt_embeds: torch.Tensor) -> torch.Tensor:
        """``F = mean_t f_t`` over each example's real target tokens: [B].

        The per-step mean of ``f_t(x) - f_t(x')`` equals ``F(x) - F(x')``, so perturbation
        methods use this for both aggregations.
        """
        value = self.token_scores(batch, prompt_embeds).sum(-1) / _n_target(batch)
        if self.contrastive:
            if not isinstance(batch, ContrastiveBatch):
                raise TypeError("a contrastive objective needs batches with foils (ContrastiveBatch)")
            foil = batch.foil()
            value = value - self.token_scores(foil, prompt_embeds).sum(-1) / _n_target(foil)
        return value

    def gradients(self, batch: EncodedBatch, prompt_embeds: torch.Tensor) -> Iterator[GradientStep]:
        """Gradients of the attributed function w.r.t. ``prompt_embeds`` ([N, P, H], any values).

        Yields one ``GradientStep`` (``sequence``) or one per target step (``per_step``);
        consume each before asking for the next: steps share one forward graph.
        """
        leaf = prompt_embeds.detach().requires_grad_(True)
        n_target = _n_target(batch)  # [N]
        # Only the forward needs grad mode; backward passes run without it, so no grad-mode
        # context stays open across the yields below.
        if self.aggregation == "sequence":
            with torch.enable_grad():
                value = self.values(batch, leaf).sum()
            (grad,) = torch.autograd.grad(value, leaf)
            yield GradientStep(grad.float(), torch.ones_like(n_target), -1)
            return
        with torch.enable_grad():
            scores = self.token_scores(batch, leaf)  # [N, T]
        mask = batch.target_mask.to(scores.dtype)
        steps = [t for t in range(scores.shape[1]) if bool(mask[:, t].any())]
        for t in steps:
            # Summing over the batch is exact: row b of the gradient depends only on f_t of row b.
            (grad,) = torch.autograd.grad(scores[:, t].sum(), leaf, retain_graph=t != steps[-1])
            yield GradientStep(grad.float(), mask[:, t] / n_target, t)


def _n_target(batch: EncodedBatch) -> torch.Tensor:
    """Real target tokens per example, at least 1: [B] float32."""
    return batch.target_mask.sum(-1).clamp(min=1).float()
