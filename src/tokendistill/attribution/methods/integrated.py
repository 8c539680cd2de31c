"""Integrated gradients (Sundararajan et al. 2017) over the prompt embeddings.

``IG_p = (e_p - e'_p) · sum_k w_k ∇f(e' + α_k (e - e'))_p``, reduced over the hidden dim.
Only the prompt embeddings move along the path; target tokens stay fixed (teacher forcing).
Path points of several examples share one forward: a chunk holds ``internal_batch_size``
rows, laid out step-major ([m path points, b examples] -> m*b rows, as Captum expands).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from tokendistill.attribution.methods.base import GradientMethod, MethodInputs, RawStep
from tokendistill.attribution.objective import Objective
from tokendistill.models.batch import EncodedBatch

BASELINES: tuple[str, ...] = ("zero", "pad")
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
    """Integrated gradients from a ``zero`` or ``pad``-token-embedding baseline."""

    name = "integrated_gradients"

    def __init__(
        self,
        n_steps: int = 32,
        baseline: str = "zero",
        rule: str = "gausslegendre",
        internal_batch_size: int = 64,
        reduction: str = "sum",
    ) -> None:
        super().__init__(reduction=reduction)
        if baseline not in BASELINES:
            raise ValueError(f"{self.name}: baseline must be one of {list(BASELINES)}, got {baseline!r}")
        if n_steps < 1 or internal_batch_size < 1:
            raise ValueError(f"{self.name}: n_steps and internal_batch_size must be >= 1")
        self.alphas, self.weights = quadrature(rule, n_steps)
        self.n_steps, self.baseline, self.rule = n_steps, baseline, rule
        self.internal_batch_size = internal_batch_size

    @property
    def multiplies_by_inputs(self) -> bool:
        return True

    def options(self) -> dict[str, object]:
        return {
            "n_steps": self.n_steps,
            "baseline": self.baseline,
            "rule": self.rule,
            "internal_batch_size": self.internal_batch_size,
            "reduction": self.reduction,
        }

    def baseline_embeds(self, batch: EncodedBatch, objective: Objective) -> torch.Tensor:
        """e' [B, P, H]: zeros, or the pad token's embedding at every prompt position."""
        embeds = objective.embed(batch)
        if self.baseline == "zero":
            return torch.zeros_like(embeds)
        pad = objective.adapter.tokenizer.pad_token_id
        with torch.no_grad():
            return objective.adapter.embed(torch.full_like(batch.prompt_ids, pad)).detach()

    def raw_steps(self, inputs: MethodInputs, objective: Objective) -> Iterator[RawStep]:
        batch = inputs.batch
        x, base = objective.embed(batch), self.baseline_embeds(batch, objective)  # [B, P, H] each
        per_group = max(1, self.internal_batch_size // self.n_steps)
        for start in range(0, len(batch), per_group):
            rows = torch.arange(start, min(start + per_group, len(batch)), device=x.device)
            yield from self._group(batch.select(rows.tolist()), rows, x[rows], base[rows], objective)

    def _group(
        self, sub: EncodedBatch, rows: torch.Tensor, x: torch.Tensor, base: torch.Tensor, objective: Objective
    ) -> Iterator[RawStep]:
        """All path points of the examples ``rows`` (x, base: [b, P, H])."""
        b = len(rows)
        m_max = max(1, self.internal_batch_size // b)
        alphas = torch.tensor(self.alphas, dtype=x.dtype, device=x.device)
        weights = torch.tensor(self.weights, dtype=torch.float32, device=x.device)
        # Integrated gradient per target step (one entry, -1, in sequence mode): [b, P, H].
        total: dict[int, torch.Tensor] = {}
        step_weight: dict[int, torch.Tensor] = {}
        for k in range(0, self.n_steps, m_max):
            a, w = alphas[k : k + m_max], weights[k : k + m_max]
            m = len(a)
            path = base + a.view(m, 1, 1, 1) * (x - base)  # [m, b, P, H]
            repeated = sub.select(list(range(b)) * m)  # step-major rows, like `path`
            for g in objective.gradients(repeated, path.reshape(m * b, *x.shape[1:])):
                part = (g.grad.view(m, b, *x.shape[1:]) * w.view(m, 1, 1, 1)).sum(0)  # [b, P, H]
                total[g.step] = total[g.step] + part if g.step in total else part
                step_weight[g.step] = g.weight.view(m, b)[0]
        delta = (x - base).float()
        for step in sorted(total):
            yield RawStep(rows, total[step] * delta, step_weight[step], step)
