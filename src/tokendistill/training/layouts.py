"""Batch layouts that must give the padded batch's values, each checked once per run on the
run's own rows before training relies on it.

* Padding-free batches (``padding_free``): a decoder-only model reads one sequence of the rows'
  real tokens with position ids restarting on every row and no attention mask
  (``CausalAdapter.flat_target_logits``). Transformers' attention implementations keep such
  rows apart (flash attention by its variable-length path, sdpa and eager by a packed-sequence
  mask); a model with its own attention code may not, and would silently let rows read each
  other.
* A chunked head (``head_chunk``): the model runs with its output head skipped and the head is
  applied to the hidden states afterwards (``models/head.py``); a model that changes its
  logits after the head (soft-capping, a scale) would be misread.

Either way, one batch is scored both ways; the target log-probabilities must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tokendistill.evaluation.predict import without_dropout
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import EncodedBatch, picked_logprobs
from tokendistill.models.head import linear_head, target_hidden
from tokendistill.training.arguments import TrainingSetupError
from tokendistill.training.data import ExampleRowsDataset, RowCollator, as_encoded_batch, batch_parts
from tokendistill.training.rows import TrainingRow

# Largest |difference| of a target token's log-probability, padded vs the other layout: float
# rounding stays far below (measured 5e-7 on a tiny float32 model); rows that read each other
# differ by whole nats.
FLOAT32_TOLERANCE, HALF_TOLERANCE = 1e-3, 0.1


def check_padding_free(adapter: ModelAdapter, rows: Sequence[TrainingRow], batch_size: int) -> None:
    """Refuse ``padding_free`` where it cannot hold: an encoder-decoder model, or a model whose
    attention lets the rows of one flattened sequence read each other (checked on the first
    ``batch_size`` examples of ``rows``)."""
    if adapter.architecture != "causal":
        raise TrainingSetupError(
            "training.padding_free applies to decoder-only models; an encoder-decoder model pads its "
            "batches (set group_by_length: true to cut the padding instead)"
        )
    gap = _largest_gap(adapter, rows, batch_size, adapter.flat_target_logits)
    if gap > _tolerance(adapter):
        implementation = getattr(adapter.model.config, "_attn_implementation", "unknown")
        raise TrainingSetupError(
            f"training.padding_free: {_name(adapter)} (attention: {implementation}) does not keep the rows "
            f"of a flattened batch apart (log-probabilities differ by {gap:.3g} from padded batches); "
            "set padding_free: false"
        )


def check_head_chunk(adapter: ModelAdapter, rows: Sequence[TrainingRow], batch_size: int) -> None:
    """Refuse ``head_chunk`` for a model whose output head is not a linear layer, or whose
    logits are not that head applied to the hidden states it is given."""

    def through_the_head(batch: EncodedBatch) -> torch.Tensor:
        hidden, head = target_hidden(adapter, batch)
        return head(hidden)

    try:
        linear_head(adapter.model)
    except ValueError as error:
        raise TrainingSetupError(f"training.head_chunk: {error}; set head_chunk: null") from None
    gap = _largest_gap(adapter, rows, batch_size, through_the_head)
    if gap > _tolerance(adapter):
        raise TrainingSetupError(
            f"training.head_chunk: {_name(adapter)} changes its logits after its output head "
            f"(log-probabilities differ by {gap:.3g}); set head_chunk: null"
        )


def _largest_gap(
    adapter: ModelAdapter,
    rows: Sequence[TrainingRow],
    batch_size: int,
    other: Callable[[EncodedBatch], torch.Tensor],
) -> float:
    """Largest |difference| of a target log-probability between ``target_logits`` and
    ``other`` (logits the same shape) over the first ``batch_size`` examples of ``rows``."""
    items = ExampleRowsDataset(rows)
    collated = RowCollator(adapter, by_task=True)([items[i] for i in range(min(batch_size, len(items)))])
    gap = 0.0
    with without_dropout(adapter), torch.no_grad():
        for part in batch_parts(collated):
            batch = as_encoded_batch({key: value.to(adapter.device) for key, value in part.items()})
            padded = picked_logprobs(adapter.target_logits(batch), batch)
            gap = max(gap, float((padded - picked_logprobs(other(batch), batch)).abs().max()))
    return gap


def _tolerance(adapter: ModelAdapter) -> float:
    dtype = next(adapter.model.parameters()).dtype
    return FLOAT32_TOLERANCE if dtype == torch.float32 else HALF_TOLERANCE


def _name(adapter: ModelAdapter) -> str:
    return getattr(adapter.model.config, "_name_or_path", type(adapter.model).__name__)
