"""Per-example scores (1.0 / 0.0) shared by the built-in and config-defined tasks.

Generation leaves harmless differences (case, a trailing period, doubled spaces) that a
reader would not count as wrong, so text answers are compared after ``normalize``. CQA
models may answer with the choice letter instead of the text, and SVAMP answers are
equations whose value, not spelling, matters; both get their own scorer.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence

from tokendistill.tasks.arithmetic import try_evaluate, values_equal
from tokendistill.tasks.example import Example

Scorer = Callable[[str, Example], float]

CHOICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TRAILING_PUNCT = string.punctuation.replace(")", "").replace("]", "") + " "
_SPACES = re.compile(r"\s+")
# "(b)", "b", "(b) train station", "b)".
_LETTER = re.compile(r"^\(?([a-z])\)(?:\s+(.*))?$|^([a-z])$", re.DOTALL)


def normalize(text: str) -> str:
    """Lowercase, collapse whitespace, strip, and drop trailing punctuation ("Bridge." -> "bridge")."""
    text = _SPACES.sub(" ", text.lower()).strip()
    return text.rstrip(_TRAILING_PUNCT).strip()


def exact_match(prediction: str, gold: str | Example) -> float:
    """1.0 when prediction and gold are equal after ``normalize``.

    ``gold`` is the gold text or an example (its label), so this one function is both the
    ``exact_match`` metric of accuracy and the default judge of whether a teacher's answer is
    correct (``attribution.targets``): an answer counted right in accuracy is right there too.
    """
    label = gold.label if isinstance(gold, Example) else gold
    return float(normalize(prediction) == normalize(label))


def choice_match(prediction: str, gold: str, choices: Sequence[str] | None) -> float:
    """Exact match on the answer text, or on the text of the choice a letter names.

    ``"(b)"`` and ``"b"`` mean choice 1; ``"(b) bridge"`` is judged by its text. A letter
    beyond the choices, or any letter when there are no choices, is wrong.
    """
    if exact_match(prediction, gold):
        return 1.0
    match = _LETTER.match(normalize(prediction))
    if match is None:
        return 0.0
    letter = match.group(1) or match.group(3)
    text = match.group(2)
    if text:
        return exact_match(text, gold)
    index = CHOICE_LETTERS.index(letter)
    if not choices or index >= len(choices):
        return 0.0
    return exact_match(choices[index], gold)


def numeric_match(prediction: str, gold: str) -> float:
    """1.0 when both sides evaluate (safely) to the same number, within 1e-4 relative."""
    return float(values_equal(try_evaluate(prediction), try_evaluate(gold)))


METRICS: dict[str, Scorer] = {
    "exact_match": exact_match,
    "choice": lambda prediction, example: choice_match(prediction, example.label, example.choices),
    "numeric": lambda prediction, example: numeric_match(prediction, example.label),
}
METRIC_ALIASES = {"equation": "numeric"}


def label_problem(metric: str, label: str) -> str | None:
    """Why ``label`` could never be matched under ``metric`` (None when it can): a numeric
    metric compares values, so its labels must evaluate to a number."""
    if METRIC_ALIASES.get(metric, metric) == "numeric" and try_evaluate(label) is None:
        return f"label {label!r} is not a number or arithmetic expression, which metric {metric!r} needs"
    return None


def get_metric(name: str) -> Scorer:
    """The scorer called ``name`` (``exact_match``, ``choice``, ``numeric`` / ``equation``)."""
    key = METRIC_ALIASES.get(name, name)
    if key not in METRICS:
        raise ValueError(f"unknown metric {name!r}; choose one of {sorted([*METRICS, *METRIC_ALIASES])}")
    return METRICS[key]
