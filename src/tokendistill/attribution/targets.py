"""The teacher's answers (what ``target="teacher"`` forces) and whether they are right."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tokendistill.attribution.batching import token_lengths
from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.batching import BatchSizer, map_batches
from tokendistill.tasks.example import Example

# How a teacher's answer is judged: a task's ``score``, or by default the tasks' own
# ``tasks.metrics.exact_match``, so "correct" means what accuracy counts.
ScoreFn = Callable[[str, Example], float]


def is_correct(score_fn: ScoreFn, prediction: str, example: Example) -> bool:
    """Correct means full credit (``score_fn`` >= 1), so partial-credit metrics stay strict."""
    return bool(score_fn(prediction, example) >= 1.0)


def generate_answers(
    adapter: ModelAdapter, prompts: Sequence[str], *, sizer: BatchSizer, max_new_tokens: int | None = None
) -> list[str]:
    """Greedy answers of the teacher, generated in length-sorted batches of ``sizer``'s size
    (which backs off on out-of-memory errors when it is ``auto``), in input order."""
    keys = [(n,) for n in token_lengths(adapter.tokenizer, prompts)]
    return map_batches(
        sizer, keys, lambda rows: adapter.generate([prompts[i] for i in rows], max_new_tokens=max_new_tokens)
    )
