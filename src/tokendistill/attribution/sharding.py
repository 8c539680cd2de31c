"""Attribution split across ``accelerate launch`` processes, merged into one artifact.

Each rank attributes a contiguous share of the examples and writes
``<out_dir>/shard-<rank>.parquet``; after a barrier the main process merges the shards into
``<out_dir>/attributions.parquet`` with rows in the original example order. Shards carry
the same metadata (no rank in it), so the merged file is what one process would write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from accelerate import PartialState

from tokendistill.attribution.config import AttributionSettings
from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.run import attribute, resolve_method, run_metadata
from tokendistill.attribution.store import merge_shards, write_attributions
from tokendistill.attribution.targets import ScoreFn, exact_match
from tokendistill.models.adapter import ModelAdapter
from tokendistill.tasks.example import Example

MERGED_NAME = "attributions.parquet"


def shard_range(n_items: int, rank: int, world_size: int) -> range:
    """Rank ``rank``'s contiguous share of ``n_items``; sizes differ by at most one."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside a world of {world_size}")
    base, extra = divmod(n_items, world_size)
    start = rank * base + min(rank, extra)
    return range(start, start + base + (1 if rank < extra else 0))


def default_state() -> PartialState:
    """The launch's process state; gloo over CPU processes when the machine has no accelerator.

    ``PartialState()`` alone reports a single process on a CPU-only machine even when
    ``accelerate launch`` started several (it only joins CPU ranks when asked with
    ``cpu=True``); with an accelerator present the normal backend (e.g. NCCL) is used.
    """
    return PartialState(cpu=not torch.accelerator.is_available())


def shard_path(out_dir: Path, rank: int) -> Path:
    return out_dir / f"shard-{rank}.parquet"


def attribute_sharded(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    method: str | AttributionMethod,
    *,
    out_dir: str | Path,
    split: str,
    settings: AttributionSettings | None = None,
    score_fn: ScoreFn = exact_match,
    prefix: str = "",
    teacher_answers: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    state: PartialState | None = None,
) -> Path:
    """Attribute this process's share, write its shard, and (main process) merge all shards.

    Every process must call this with the same arguments. Returns the merged artifact's path
    on every rank, once it exists. ``metadata`` is added to ``run_metadata``'s.
    """
    state = state or default_state()
    cfg = settings or AttributionSettings()
    impl = resolve_method(method)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    share = shard_range(len(examples), state.process_index, state.num_processes)
    records = attribute(
        adapter,
        [examples[i] for i in share],
        impl,
        split=split,
        settings=cfg,
        score_fn=score_fn,
        prefix=prefix,
        teacher_answers=None if teacher_answers is None else [teacher_answers[i] for i in share],
    )
    meta = {**run_metadata(adapter, impl, cfg, split=split, prefix=prefix), **(metadata or {})}
    write_attributions(shard_path(out, state.process_index), records, meta)
    state.wait_for_everyone()
    merged = out / MERGED_NAME
    if state.is_main_process:
        shards = [shard_path(out, r) for r in range(state.num_processes)]
        merge_shards(shards, merged, order=[ex.id for ex in examples])
    state.wait_for_everyone()
    return merged
