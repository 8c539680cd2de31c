"""``attribute_to_artifact``: examples in, one attribution artifact out; resumable, and split
across the processes of an ``accelerate launch`` when there are several.

Every process calls it with the same arguments. Each attributes its share of the examples
that have no part file yet, a chunk at a time, and writes every chunk as one part (so a
kill loses at most the chunk in progress); then the main process merges all parts into
``out_path`` in example order. The artifact is byte for byte what one uninterrupted process
writes, whenever the per-example scores do not depend on batching (e.g. ``batch_size`` 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from tokendistill.attribution.config import AttributionSettings
from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.run import attribute, resolve_method, run_metadata
from tokendistill.attribution.store import PathLike
from tokendistill.attribution.targets import ScoreFn
from tokendistill.attribution.writer import AttributionWriter
from tokendistill.distributed import ProcessState
from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.batching import AUTO_START, BatchSizer, each_batch
from tokendistill.tasks.example import Example
from tokendistill.tasks.metrics import exact_match

Progress = Callable[[int, int], None]


def attribute_to_artifact(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    method: str | AttributionMethod,
    *,
    split: str,
    settings: AttributionSettings | None = None,
    out_path: PathLike,
    work_dir: PathLike,
    chunk_size: int = 256,
    score_fn: ScoreFn = exact_match,
    teacher_answers: Sequence[str] | None = None,
    state: ProcessState | None = None,
    on_progress: Progress | None = None,
) -> Path:
    """Attribute this process's share of the pending ``examples`` into parts under
    ``work_dir``, then merge every part into ``out_path``; returns ``out_path`` (every rank).

    ``method`` is a registered name (default options) or a configured instance.
    ``teacher_answers`` (aligned with ``examples``) skips generating the teacher's answers.
    ``on_progress(done, todo)`` is called after every chunk with this process's counts.
    ``state`` defaults to ``default_state()``; parts from a run killed with any number of
    processes are reused.
    """
    cfg = settings or AttributionSettings()
    impl = resolve_method(method)
    if teacher_answers is not None and len(teacher_answers) != len(examples):
        raise ValueError(f"{len(examples)} examples but {len(teacher_answers)} teacher answers")
    metadata = run_metadata(adapter, impl, cfg, split=split)
    writer = AttributionWriter(work_dir, [ex.id for ex in examples], metadata, chunk_size, state=state)
    row = {ex.id: i for i, ex in enumerate(examples)}
    todo = [row[ex_id] for ex_id in writer.pending()]
    sizer = BatchSizer(cfg.batch_size, AUTO_START)  # one per run: an `auto` size is searched once
    run_chunk = partial(
        attribute, adapter, method=impl, split=split, settings=cfg, score_fn=score_fn, sizer=sizer
    )

    def chunk(part: slice) -> None:
        rows = todo[part]
        answers = None if teacher_answers is None else [teacher_answers[i] for i in rows]
        writer.extend(run_chunk([examples[i] for i in rows], teacher_answers=answers))
        writer.flush()  # one part per chunk: a kill loses at most the chunk in progress
        if on_progress is not None:
            on_progress(part.stop, len(todo))

    with writer:
        each_batch(chunk_size, len(todo), chunk)
    return writer.finalize(out_path)
