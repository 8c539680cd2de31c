"""The scale of the faithfulness figures: what "the teacher's answer" is measured as.

ERASER (DeYoung et al. 2020) defines comprehensiveness and sufficiency over the probability of
the predicted class, normalised over the label set. A generative teacher spreads its mass over
a whole vocabulary, so the absolute probability of its answer is small whatever the input, and
differences of it vanish (issue 31). Hence two scales, chosen by the task:

* ``choice_probability`` (tasks with answer choices: a label set or a choices field): the
  teacher's probability of its answer normalised over the example's choices, the softmax of
  every choice's summed log-probability (the score rank classification picks the answer by).
  An answer that is not among the choices (a generated one) joins the set it is normalised over.
* ``answer_logprob`` (open answers): the teacher's log-probability of its answer, mean over
  the answer's tokens, so answers of different lengths weigh alike in the mean over examples.

The raw figure, the answer's per-token geometric-mean probability, is kept beside either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

__all__ = [
    "DEFINITIONS",
    "INTERVAL",
    "RAW",
    "LogProbFn",
    "ScaleName",
    "candidates",
    "choice_probability",
    "scale_json",
]

# ``logprob_fn(texts, answers)``: per pair, the summed log-probability of the answer given the
# text and the answer's token count (what the mean over tokens divides by).
LogProbFn = Callable[[list[str], list[str]], Sequence[tuple[float, int]]]
ScaleName = Literal["choice_probability", "answer_logprob"]

DEFINITIONS: dict[str, str] = {
    "choice_probability": (
        "the teacher's probability of its answer normalised over the answer choices "
        "(softmax of each choice's summed log-probability; ERASER's definition)"
    ),
    "answer_logprob": "the teacher's log-probability of its answer, mean over the answer's tokens",
}
RAW = "the teacher's probability of its answer, per-token geometric mean, not normalised"
INTERVAL = (
    "95 % t-interval over examples; a method differs from its random control when the "
    "t-interval of the per-example difference (method minus random) excludes 0"
)


def candidates(choices: Sequence[str], answer: str) -> tuple[tuple[str, ...], int]:
    """The set ``answer`` is normalised over (``choices``, plus ``answer`` where it is not one
    of them, compared stripped and case-insensitive) and its index in that set."""
    same = answer.strip().casefold()
    for i, choice in enumerate(choices):
        if choice.strip().casefold() == same:
            return tuple(choices), i
    return (*choices, answer), len(choices)


def choice_probability(logprobs: Sequence[float], index: int) -> float:
    """Softmax of the choices' summed log-probabilities, at ``index``."""
    top = max(logprobs)
    weights = [math.exp(v - top) for v in logprobs]
    return weights[index] / sum(weights)


def scale_json(name: ScaleName | None) -> dict[str, str] | None:
    """What metrics.json says about the figures' scale and intervals."""
    if name is None:
        return None
    return {"name": name, "definition": DEFINITIONS[name], "raw": RAW, "interval": INTERVAL}
