"""``predict``: batched answers of any model on a file's rows, in-memory inputs or a task split.

A kept model is prompted and evaluated exactly as in its run (its manifest: student mode,
adapter settings, ``generate`` or ``rank``, batch size), in the same length-sorted batches,
so its recorded test predictions come back. Rows with labels are scored with the task's
metric (exact match for plain text without a task) and give an accuracy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tokendistill.errors import DeployError
from tokendistill.evaluation.predict import Prediction, predict_answers
from tokendistill.inference.inputs import InputFields, InputRow, Inputs, read_inputs
from tokendistill.inference.usage import ModelRef, ModelUsage, UsageOptions, resolve_usage
from tokendistill.kept.checks import check_output_file
from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.batching import map_batches
from tokendistill.runtime.files import write_jsonl
from tokendistill.tasks.config import Split
from tokendistill.tasks.metrics import exact_match
from tokendistill.training.modes import label_prompts

if TYPE_CHECKING:
    from typing_extensions import Unpack

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PredictionResult:
    """Every input's prediction (input order); scored when the inputs carry labels."""

    predictions: list[Prediction]
    labelled: bool
    path: Path | None = None

    @property
    def accuracy(self) -> float | None:
        """Mean score over the inputs, or None when they have no labels."""
        if not self.labelled or not self.predictions:
            return None
        return sum(p.score for p in self.predictions) / len(self.predictions)

    def records(self) -> list[dict]:
        """JSON Lines rows: id and prediction, plus gold, correct and score when labelled."""
        if self.labelled:
            return [p.to_record() for p in self.predictions]
        return [{"id": p.id, "prediction": p.prediction} for p in self.predictions]


def predict(
    model: ModelRef,
    inputs: Inputs | None = None,
    *,
    split: Split | None = None,
    fields: InputFields | None = None,
    out: str | os.PathLike[str] | None = None,
    on_progress: Progress | None = None,
    **options: Unpack[UsageOptions],
) -> PredictionResult:
    """Predict ``inputs`` (a JSONL/CSV/Parquet file, texts or rows) or a task ``split`` with
    ``model`` (a kept model folder, any saved folder, a Hub or packaged name), writing JSON
    Lines to ``out`` when given. ``on_progress(done, total)`` follows every batch; ``options``
    (``task``, ``eval_mode``, ``batch_size``, ``max_new_tokens``) override the model's own."""
    if out is not None:
        check_output_file(Path(out), "--out")
    usage = resolve_usage(model, **options)
    rows = read_inputs(usage, inputs, split, fields or InputFields())
    answers = model_answers(usage, usage.load(), rows, on_progress)
    labelled = all(row.example.label for row in rows)
    scored = [_prediction(usage, row, answer, labelled) for row, answer in zip(rows, answers, strict=True)]
    result = PredictionResult(scored, labelled, Path(out) if out is not None else None)
    if result.path is not None:
        write_jsonl(result.path, result.records())
    return result


def model_answers(
    usage: ModelUsage, adapter: ModelAdapter, rows: Sequence[InputRow], on_progress: Progress | None = None
) -> list[str]:
    """The model's answers to ``rows`` as its evaluation settings produce them, in input order.

    Batches are those of the pipeline's evaluation (prompts sorted by length, then cut into
    ``batch_size``), so a kept model answers its recorded test examples identically."""
    if usage.mode.rationale_at_inference:
        raise DeployError(
            f"mode {usage.mode.name!r} reads a rationale at inference; predict cannot supply one"
        )
    examples = [row.example for row in rows]
    prompts = label_prompts(examples, usage.mode)
    evaluation, done = usage.evaluation, 0

    def answer(chunk: list[int]) -> list[str]:
        nonlocal done
        got = predict_answers(
            adapter,
            [examples[i] for i in chunk],
            [prompts[i] for i in chunk],
            usage.label_set,
            mode=evaluation.mode,
            batch_size=evaluation.batch_size,
            max_new_tokens=evaluation.max_new_tokens,
        )
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(prompts))
        return got

    # Shortest prompts first (negated lengths; ties keep input order).
    return map_batches(evaluation.batch_size, [(-len(p),) for p in prompts], answer)


def _prediction(usage: ModelUsage, row: InputRow, answer: str, labelled: bool) -> Prediction:
    example = row.example
    if not labelled:
        return Prediction(example.id, answer, example.label, 0.0)
    score = usage.task.score(answer, example) if usage.task is not None else exact_match(answer, example)
    return Prediction(example.id, answer, example.label, float(score))
