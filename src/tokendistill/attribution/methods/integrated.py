"""Integrated gradients (Sundararajan et al. 2017) over the prompt embeddings.

``IG_p = (e_p - e'_p) · sum_k w_k ∇f(e' + α_k (e - e'))_p``, reduced over the hidden dim.
Only the prompt embeddings move along the path; target tokens stay fixed (teacher forcing).
Path points of several examples share one forward: a chunk holds ``internal_batch_size``
rows, laid out step-major ([m path points, b examples] -> m*b rows, as Captum expands), or
with ``auto`` as many as fit in memory (halved from ``AUTO_START_ROWS`` on out-of-memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
import torch

from tokendistill.attribution.methods.base import GradientMethod, MethodInputs, RawStep
from tokendistill.attribution.objective import Objective
from tokendistill.models.batch import EncodedBatch
from tokendistill.runtime.batching import AUTO, BatchSize, BatchSizer, each_batch

BASELINES: tuple[str, ...] = ("zero", "pad")
AUTO_START_ROWS = 256  # path points per forward that ``internal_batch_size: auto`` tries first
PADDING_SLACK = 0.1  # padding a group of examples may add to its real tokens (see group_size)
RULES: tuple[str, ...] = ("gausslegendre", "riemann_trapezoid")


def quadrature(rule: str, n_steps: int) -> tuple[list[float], list[float]]:
    """(alphas, weights) of ``n_steps`` points on [0, 1]; the weights sum to 1.

    ``gausslegendre`` is Captum's default, identical to Captum's. ``riemann_trapezoid`` is the
    trapezoid rule on ``linspace(0, 1, n)``: weights ``1/(n-1)``, ends halved. (Captum's
    ``riemann_trapezoid`` uses ``1/n``, so its weights sum to ``(n-1)/n`` and its attributions
    are ours times ``(n-1)/n``; we keep completeness exact instead.)
    """
    if rule == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return (0.5 * (1 + nodes)).tolist(), (0.5 * weights).tolist()
    if rule == "riemann_trapezoid":
        if n_steps < 2:
            raise ValueError("riemann_trapezoid needs n_steps >= 2")
        step = [1.0 / (n_steps - 1)] * n_steps
        step[0] /= 2
        step[-1] /= 2
        return np.linspace(0.0, 1.0, n_steps).tolist(), step
    raise ValueError(f"unknown rule {rule!r}; choose from {list(RULES)}")


class IntegratedGradients(GradientMethod):
    """Integrated gradients from a ``zero`` or ``pad``-token-embedding baseline.

    ``internal_batch_size`` (rows per forward) defaults to 32, the rows Captum runs for one
    example at its default 32 steps: on a CPU, larger forwards run slower per row (their
    activations fall out of the cache); on a GPU, ``auto`` finds the largest that fits.
    """

    name = "integrated_gradients"
    summary = "gradients integrated from a baseline embedding"
    multiplies_by_inputs = True

    def __init__(
        self,
        n_steps: int = 32,
        baseline: str = "zero",
        rule: str = "gausslegendre",
        internal_batch_size: BatchSize = 32,
        reduction: str = "sum",
    ) -> None:
        super().__init__(reduction=reduction)
        if baseline not in BASELINES:
            raise ValueError(f"{self.name}: baseline must be one of {list(BASELINES)}, got {baseline!r}")
        if n_steps < 1:
            raise ValueError(f"{self.name}: n_steps must be >= 1")
        if internal_batch_size != AUTO and (
            not isinstance(internal_batch_size, int) or internal_batch_size < 1
        ):
            raise ValueError(f"{self.name}: internal_batch_size must be >= 1 or 'auto'")
        self.alphas, self.weights = quadrature(rule, n_steps)
        self.n_steps, self.baseline, self.rule = n_steps, baseline, rule
        self.internal_batch_size = internal_batch_size
        self._rows = BatchSizer(internal_batch_size, AUTO_START_ROWS)

    def options(self) -> dict[str, object]:
        return {
            "n_steps": self.n_steps,
            "baseline": self.baseline,
            "rule": self.rule,
            "internal_batch_size": self.internal_batch_size,
            "reduction": self.reduction,
        }

    def baseline_embeds(self, batch: EncodedBatch, objective: Objective) -> torch.Tensor:
        """e' [B, P, H] in float32: zeros, or the pad token's embedding at every prompt position."""
        embeds = objective.embed(batch)
        if self.baseline == "zero":
            return torch.zeros_like(embeds)
        pad = objective.adapter.tokenizer.pad_token_id
        with torch.no_grad():
            return objective.adapter.embed(torch.full_like(batch.prompt_ids, pad)).detach().float()

    def raw_steps(self, inputs: MethodInputs, objective: Objective) -> Iterator[RawStep]:
        batch = inputs.batch
        x, base = objective.embed(batch), self.baseline_embeds(batch, objective)  # [B, P, H] each
        objective = objective.fused_kernels()  # n_steps passes per example: the head's cost counts
        start = 0
        while start < len(batch):
            # The group's size follows the row budget, which an `auto` budget may halve.
            group = partial(self._group, batch, x, base, start, objective=objective)
            rows, steps = self._rows.run(group, most=self.n_steps * (len(batch) - start))
            for step, (raw, weight) in sorted(steps.items()):
                yield RawStep(rows, raw, weight, step)
            start += len(rows)

    def _group(
        self,
        batch: EncodedBatch,
        x: torch.Tensor,
        base: torch.Tensor,
        start: int,
        budget: int,
        objective: Objective,
    ) -> tuple[torch.Tensor, dict[int, tuple[torch.Tensor, torch.Tensor]]]:
        """Rows ``[start, start + b)`` of the batch and, per target step, their raw attributions
        [b, P, H] and weights [b], within ``budget`` rows per forward.

        The group is cut to its own length first (its rows may be shorter than the batch's
        longest): padding costs as much as real tokens in every one of its forwards.
        """
        b = group_size(batch, start, max(1, budget // self.n_steps))
        rows = torch.arange(start, start + b, device=x.device)
        sub, cols = batch.select(rows.tolist()).compact()
        integrals, weights = self._integrate(
            sub, x[rows][:, cols], base[rows][:, cols], budget // b, objective
        )
        full = torch.zeros_like(x[rows])  # [b, P, H]: the columns cut above attribute nothing
        steps = {}
        for step, integral in integrals.items():
            full[:, cols] = integral
            steps[step] = (full.clone(), weights[step])
        return rows, steps

    def _integrate(
        self, sub: EncodedBatch, x: torch.Tensor, base: torch.Tensor, m_max: int, objective: Objective
    ) -> tuple[dict[int, torch.Tensor], dict[int, torch.Tensor]]:
        """``(x - base) * sum_k w_k grad(path_k)`` per target step ([b, P, H]) and the step's
        weights [b], for the examples of ``sub`` (x, base: [b, P, H]), ``m_max`` path points
        per forward."""
        b, m_max = len(sub), max(1, m_max)
        total: dict[int, torch.Tensor] = {}
        step_weight: dict[int, torch.Tensor] = {}

        def points(ks: slice) -> None:
            a = torch.tensor(self.alphas[ks], dtype=x.dtype, device=x.device)
            w = torch.tensor(self.weights[ks], dtype=torch.float32, device=x.device)
            m = len(a)
            path = base + a.view(m, 1, 1, 1) * (x - base)  # [m, b, P, H]
            repeated = sub.select(list(range(b)) * m)  # step-major rows, like `path`
            for g in objective.gradients(repeated, path.reshape(m * b, *x.shape[1:])):
                part = (g.grad.view(m, b, *x.shape[1:]) * w.view(m, 1, 1, 1)).sum(0)  # [b, P, H]
                total[g.step] = total[g.step] + part if g.step in total else part
                step_weight[g.step] = g.weight.view(m, b)[0]

        each_batch(m_max, self.n_steps, points)  # the row budget was set by ``self._rows`` already
        delta = (x - base).float()
        return {step: integral * delta for step, integral in total.items()}, step_weight


def group_size(batch: EncodedBatch, start: int, most: int) -> int:
    """How many rows from ``start`` share the forwards of one group: at most ``most``, and no
    more than keep the padding to the group's longest prompt and target within
    ``PADDING_SLACK`` of its real tokens. Batches come sorted by length, so neighbours are
    usually alike; two inputs of very different lengths are cheaper apart."""
    prompt, target = batch.prompt_mask.sum(1).tolist(), batch.target_mask.sum(1).tolist()
    b = 1
    while b < most and start + b < len(batch):
        span = range(start, start + b + 1)
        padded = (b + 1) * (max(prompt[i] for i in span) + max(target[i] for i in span))
        if padded > (1 + PADDING_SLACK) * sum(prompt[i] + target[i] for i in span):
            break
        b += 1
    return b
