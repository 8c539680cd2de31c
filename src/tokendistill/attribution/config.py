"""Run-level options of attribution, validated once.

Method-specific options (``n_steps`` of integrated gradients, the saliency norm, ...) live in
``method_options`` and are checked by the method's constructor, so a misspelt key fails
with the method's name in the message instead of being ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

TargetSource = Literal["teacher", "gold"]
AttributedFn = Literal["logprob", "probability", "logit"]
Aggregation = Literal["sequence", "per_step"]

TARGET_SOURCES: tuple[str, ...] = ("teacher", "gold")
ATTRIBUTED_FNS: tuple[str, ...] = ("logprob", "probability", "logit")
AGGREGATIONS: tuple[str, ...] = ("sequence", "per_step")


@dataclass(frozen=True)
class AttributionConfig:
    """What is attributed, and how examples are batched.

    * ``target``: ``teacher`` forces the teacher's own greedy answer (the paper), ``gold``
      forces the example's label.
    * ``attributed_fn``: the function of each target token that is differentiated: its
      log-probability (default), probability (Inseq's default), or raw logit.
    * ``aggregation``: ``sequence`` differentiates the mean over target tokens once per
      batch (the paper; one backward); ``per_step`` attributes every target token
      separately and averages the per-token scores (Inseq's convention).
    * ``batch_size``: examples per forward pass; methods that expand an example into many
      rows (integrated gradients, leave-one-out) bound rows with their own option.
    * ``max_new_tokens``: cap on the teacher's generated answer (None: the adapter's limit).
    """

    target: TargetSource = "teacher"
    attributed_fn: AttributedFn = "logprob"
    aggregation: Aggregation = "sequence"
    batch_size: int = 16
    max_new_tokens: int | None = None
    method_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_choice("target", self.target, TARGET_SOURCES)
        _check_choice("attributed_fn", self.attributed_fn, ATTRIBUTED_FNS)
        _check_choice("aggregation", self.aggregation, AGGREGATIONS)
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1 or None, got {self.max_new_tokens!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (for artifact metadata)."""
        return asdict(self)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
