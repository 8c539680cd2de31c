"""Put a model in its attribution state, and always give it back unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def frozen(model: torch.nn.Module) -> Iterator[None]:
    """Parameters frozen and eval mode inside; both restored on exit, also on error.

    With no parameter requiring a gradient, autograd records the graph only along paths
    from the prompt-embedding leaf: no memory goes to what only weight gradients would need,
    and no parameter's ``.grad`` is ever touched. Eval mode turns dropout off, so scores are
    deterministic. Nesting is safe: each level restores what it found.
    """
    flags = [(p, p.requires_grad) for p in model.parameters()]
    was_training = model.training
    try:
        for param, _ in flags:
            param.requires_grad_(False)
        model.eval()
        yield
    finally:
        for param, flag in flags:
            param.requires_grad_(flag)
        model.train(was_training)
