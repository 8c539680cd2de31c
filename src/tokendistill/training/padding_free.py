"""Padding-free training batches (``padding_free``), and the check that a model supports them.

A decoder-only model reads a padding-free batch as one sequence of the rows' real tokens
with position ids restarting on every row and no attention mask
(``CausalAdapter.flat_target_logits``). Transformers' attention implementations keep such
rows apart (flash attention by its variable-length path, sdpa and eager by a packed-sequence
mask); a model with its own attention code may not, and would silently let rows read each
other. So before training, one batch of the run's own rows is scored both ways; the logits
must agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tokendistill.evaluation.predict import without_dropout
from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.batch import picked_logprobs
from tokendistill.training.arguments import TrainingSetupError
from tokendistill.training.data import ExampleRowsDataset, RowCollator, as_encoded_batch, batch_parts
from tokendistill.training.rows import TrainingRow

# Largest |difference| of a target token's log-probability, padded vs padding-free: float
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
    items = ExampleRowsDataset(rows)
    batch = RowCollator(adapter, by_task=True)([items[i] for i in range(min(batch_size, len(items)))])
    model = adapter.model
    with without_dropout(adapter), torch.no_grad():
        gap = max(_gap(adapter, part) for part in batch_parts(batch))
    dtype = next(model.parameters()).dtype
    if gap > (FLOAT32_TOLERANCE if dtype == torch.float32 else HALF_TOLERANCE):
        name = getattr(model.config, "_name_or_path", type(model).__name__)
        implementation = getattr(model.config, "_attn_implementation", "unknown")
        raise TrainingSetupError(
            f"training.padding_free: {name} (attention: {implementation}) does not keep the rows of a "
            f"flattened batch apart (log-probabilities differ by {gap:.3g} from padded batches); "
            "set padding_free: false"
        )


def _gap(adapter: ModelAdapter, part: dict[str, torch.Tensor]) -> float:
    batch = as_encoded_batch({key: value.to(adapter.device) for key, value in part.items()})
    padded = picked_logprobs(adapter.target_logits(batch), batch)
    flat = picked_logprobs(adapter.flat_target_logits(batch), batch)
    return float((padded - flat).abs().max())
