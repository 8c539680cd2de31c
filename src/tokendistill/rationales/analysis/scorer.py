"""The teacher's answer on the figures' scale for any input of any record, each distinct input
scored once: faithfulness and AOPC of every method first ``request`` the inputs they need,
then one ``run`` scores them all in a single call of the teacher (which batches them), then
each reads its ``value`` (and ``raw``) back.

The unperturbed input is shared by every method and bin, and so are the random-unit
perturbations (drawn per example, not per method), so asking again costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.scale import LogProbFn, ScaleName, candidates, choice_probability

__all__ = ["ErasureScorer"]

Pair = tuple[str, str]  # (text, answer)


class ErasureScorer:
    """Scores (text, answer) pairs through ``logprob_fn`` on one scale.

    ``choices`` (example id -> answer choices) selects the choice-normalised probability; without
    it the scale is the answer's mean log-probability per token (``scale.py``).
    """

    def __init__(self, logprob_fn: LogProbFn, choices: Mapping[str, Sequence[str]] | None = None) -> None:
        self.logprob_fn = logprob_fn
        self.choices = choices
        self.scale: ScaleName = "answer_logprob" if choices is None else "choice_probability"
        self._pending: dict[Pair, None] = {}  # ordered set
        self._scored: dict[Pair, tuple[float, int]] = {}

    def _answers(self, record: TokenAttribution) -> tuple[tuple[str, ...], int]:
        """The answers scored for ``record`` and the index of its target among them."""
        if self.choices is None:
            return (record.target,), 0
        if record.example_id not in self.choices:
            raise ValueError(f"example {record.example_id!r} has no answer choices to normalise over")
        return candidates(self.choices[record.example_id], record.target)

    def request(self, record: TokenAttribution, texts: Iterable[str]) -> None:
        """Ask for ``texts`` (inputs of ``record``) to be scored at the next ``run``."""
        answers, _ = self._answers(record)
        for text in texts:
            for answer in answers:
                if (text, answer) not in self._scored:
                    self._pending[(text, answer)] = None

    @property
    def pending(self) -> int:
        """(text, answer) pairs the next ``run`` scores."""
        return len(self._pending)

    def run(self) -> None:
        """Score every pending pair in one call of ``logprob_fn``."""
        pairs = list(self._pending)
        if not pairs:
            return
        out = self.logprob_fn([t for t, _ in pairs], [a for _, a in pairs])
        if len(out) != len(pairs):
            raise ValueError(f"the teacher's scorer returned {len(out)} values for {len(pairs)} inputs")
        for pair, (total, tokens) in zip(pairs, out, strict=True):
            self._scored[pair] = (float(total), max(1, int(tokens)))
        self._pending.clear()

    def _logprob(self, pair: Pair) -> tuple[float, int]:
        if pair not in self._scored:
            raise KeyError(f"input not scored yet (request it, then run): {pair[0][:60]!r}")
        return self._scored[pair]

    def value(self, record: TokenAttribution, text: str) -> float:
        """The teacher's answer to ``text`` on the scale."""
        answers, index = self._answers(record)
        if self.choices is None:
            total, tokens = self._logprob((text, record.target))
            return total / tokens
        return choice_probability([self._logprob((text, a))[0] for a in answers], index)

    def raw(self, record: TokenAttribution, text: str) -> float:
        """The answer's per-token geometric-mean probability given ``text`` (not normalised)."""
        answers, index = self._answers(record)
        total, tokens = self._logprob((text, answers[index]))
        return math.exp(total / tokens)
