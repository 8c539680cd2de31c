"""The chunked head loss equals the direct computation (values and gradients); the tail-bucket
divergence is never negative and is the exact divergence when the top-k covers the vocabulary."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tokendistill.models.head import OutputHead
from tokendistill.training.chunked import chunked_head
from tokendistill.training.losses import generalized_jsd, tail_bucket_jsd, tail_logprob
from tolerances import FORMULA, assert_close

V, H, N, K = 50, 8, 37, 6


def _teacher(seed: int, k: int = K) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A teacher's full log-probabilities [N, V] and its compact cache: top-k ids and
    log-probabilities, and the tail's log-probability."""
    gen = torch.Generator().manual_seed(seed)
    full = torch.log_softmax(torch.randn(N, V, generator=gen) * 2, -1).double()
    top = full.topk(k, dim=-1)
    return full, top.indices, top.values, tail_logprob(full, top.indices)


def _student(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    hidden = torch.randn(N, H, generator=gen, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(V, H, generator=gen, dtype=torch.float64, requires_grad=True)
    return hidden, weight


@pytest.mark.parametrize(("beta", "temperature"), [(0.0, 1.0), (0.0, 2.0), (0.5, 1.5), (1.0, 1.0)])
def test_with_the_whole_vocabulary_as_top_k_the_tail_bucket_divergence_is_exact(beta, temperature) -> None:
    full, ids, top, tail = _teacher(0, k=V)
    assert torch.isinf(tail).all()
    hidden, weight = _student(1)
    logits = hidden @ weight.T
    exact = generalized_jsd(logits, full, beta=beta, temperature=temperature)
    got = tail_bucket_jsd(logits, ids, top, tail, beta=beta, temperature=temperature)
    assert_close(got, exact, FORMULA)
    (grad,) = torch.autograd.grad(got.sum(), hidden)
    assert torch.isfinite(grad).all()


def test_the_tail_bucket_divergence_is_never_negative_and_zero_for_the_teacher_itself() -> None:
    for seed in range(5):
        full, ids, top, tail = _teacher(seed)
        assert (tail > -torch.inf).all()
        hidden, weight = _student(seed + 10)
        for beta in (0.0, 0.5, 1.0):
            assert (tail_bucket_jsd(hidden @ weight.T, ids, top, tail, beta=beta, temperature=2.0) >= 0).all()
        itself = tail_bucket_jsd(full, ids, top, tail)
        assert_close(itself, torch.zeros(N, dtype=torch.float64), FORMULA, scale=1.0)
    # By hand: KL over K + 1 buckets, the student's tail being the mass outside the top-k.
    log_s = torch.log_softmax(hidden @ weight.T, -1)
    s_top = log_s.gather(-1, ids)
    s_tail = torch.log(1 - s_top.exp().sum(-1))
    p = torch.cat([top, tail[:, None]], -1).exp()
    by_hand = (p * (torch.cat([top, tail[:, None]], -1) - torch.cat([s_top, s_tail[:, None]], -1))).sum(-1)
    assert_close(tail_bucket_jsd(hidden @ weight.T, ids, top, tail), by_hand, FORMULA)


@pytest.mark.parametrize("chunk", [1, 8, 64])
def test_the_chunked_head_gives_the_direct_values_and_gradients(chunk: int) -> None:
    _, ids, top, tail = _teacher(2)
    targets = torch.randint(0, V, (N,), generator=torch.Generator().manual_seed(3))

    def loss(logits, targets, ids, top, tail):
        nll = F.cross_entropy(logits, targets, reduction="none")
        return torch.stack([nll, tail_bucket_jsd(logits, ids, top, tail, beta=0.5, temperature=2.0)], -1)

    hidden, weight = _student(4)
    direct = loss(hidden @ weight.T, targets, ids, top, tail)
    chunked = chunked_head(hidden, OutputHead(weight, None), loss, targets, ids, top, tail, chunk=chunk)
    assert chunked.shape == (N, 2)
    assert (chunked - direct).abs().max() < 1e-6
    scale = torch.linspace(1, 2, N, dtype=torch.float64)[:, None]
    want = torch.autograd.grad((direct * scale).sum(), (hidden, weight))
    got = torch.autograd.grad((chunked * scale).sum(), (hidden, weight))
    for g, w in zip(got, want, strict=True):
        assert (g - w).abs().max() < 1e-6
