"""Predictions and task scores: greedy generation or rank classification, sharded over processes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from accelerate import PartialState
from accelerate.utils import gather_object

from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.batching import BatchSize, BatchSizer, map_batches
from tokendistill.tasks.example import Example

EvalMode = Literal["generate", "rank"]


class Scorer(Protocol):
    """What evaluation needs from a task (``tokendistill.tasks`` objects fit as they are)."""

    label_set: tuple[str, ...] | None

    def score(self, prediction: str, example: Example) -> float: ...


@dataclass(frozen=True)
class Prediction:
    """One example's answer. ``correct`` is ``score >= 1`` (scores are 0/1 for accuracy tasks)."""

    id: str
    prediction: str
    gold: str
    score: float

    @property
    def correct(self) -> bool:
        return self.score >= 1.0

    def to_record(self) -> dict:
        return {**asdict(self), "correct": self.correct}


@dataclass(frozen=True)
class EvalResult:
    predictions: list[Prediction]

    @property
    def metrics(self) -> dict[str, float]:
        n = len(self.predictions)
        accuracy = sum(p.score for p in self.predictions) / n if n else 0.0
        return {"accuracy": accuracy, "n": float(n)}


def evaluate_examples(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    prompts: Sequence[str],
    scorer: Scorer,
    *,
    mode: EvalMode = "generate",
    batch_size: int = 32,
    max_new_tokens: int = 32,
) -> EvalResult:
    """Predict and score ``examples`` (prompt i belongs to example i).

    Under several processes every process must call this: each predicts a strided shard
    and the shards are gathered, so every process returns all predictions in input order.
    """
    if len(prompts) != len(examples):
        raise ValueError(f"{len(examples)} examples but {len(prompts)} prompts")
    state = PartialState()
    mine = list(range(state.process_index, len(examples), state.num_processes))
    answers = predict_answers(
        adapter,
        [examples[i] for i in mine],
        [prompts[i] for i in mine],
        scorer.label_set,
        mode=mode,
        batch_size=batch_size,
        max_new_tokens=max_new_tokens,
    )
    gathered = gather_object(list(zip(mine, answers, strict=True)))
    by_index = dict(gathered)
    predictions = []
    for i, ex in enumerate(examples):
        answer = by_index[i]
        predictions.append(Prediction(ex.id, answer, ex.label, float(scorer.score(answer, ex))))
    return EvalResult(predictions)


def predict_answers(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    prompts: Sequence[str],
    label_set: tuple[str, ...] | None,
    *,
    mode: EvalMode,
    batch_size: BatchSize | BatchSizer,
    max_new_tokens: int,
) -> list[str]:
    """Answers for one process's examples, in input order."""

    def answer(chunk: list[int]) -> list[str]:
        chunk_prompts = [prompts[i] for i in chunk]
        if mode == "generate":
            return adapter.generate(chunk_prompts, max_new_tokens=max_new_tokens)
        if mode == "rank":
            return _rank(adapter, chunk_prompts, [_candidates(examples[i], label_set) for i in chunk])
        raise ValueError(f"unknown evaluation mode {mode!r}; use 'generate' or 'rank'")

    # Similar lengths share a batch: less padding, and the same result (padding is masked).
    # Shortest first (keys are negated lengths; ties keep input order).
    with without_dropout(adapter):
        return map_batches(batch_size, [(-len(p),) for p in prompts], answer)


def _rank(adapter: ModelAdapter, prompts: list[str], choices: list[tuple[str, ...]]) -> list[str]:
    # The chunk's prompts run once, each for all its candidates.
    scores = adapter.score_choices(prompts, choices, batch_size=max(1, len(prompts)))
    return [
        cands[max(range(len(cands)), key=row.__getitem__)] for cands, row in zip(choices, scores, strict=True)
    ]


def _candidates(example: Example, label_set: tuple[str, ...] | None) -> tuple[str, ...]:
    choices = example.choices or label_set
    if not choices:
        raise ValueError(
            f"example {example.id!r} has no candidate answers (no choices, and the task has no "
            "label_set); use evaluation mode 'generate'"
        )
    return tuple(choices)


@contextmanager
def without_dropout(adapter: ModelAdapter) -> Iterator[None]:
    """Dropout off while predicting; the caller's train/eval state comes back afterwards."""
    was_training = adapter.model.training
    adapter.model.eval()
    try:
        yield
    finally:
        adapter.model.train(was_training)
