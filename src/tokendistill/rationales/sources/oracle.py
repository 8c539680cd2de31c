"""``oracle``: the words known to carry the answer, an upper bound for any rationale.

Tasks with planted or annotated evidence (``Example.evidence``, e.g. the ``synthetic`` task's)
know which input words decide the label; a student trained to "explain" with exactly those
words shows how much the best possible rationale could give. As marks (guided students), the
evidence words are topped up with random eligible words to the run's ``k`` when there are fewer,
so the oracle mask has the size of the teacher's and of the random control's.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokendistill.rationales.analysis.faithfulness import random_units
from tokendistill.rationales.marks import Marks, marks_of
from tokendistill.rationales.sources.base import RationaleSource, SourceRequest
from tokendistill.tasks.example import Example


class OracleSource(RationaleSource):
    """Every planted evidence word, in input order (all of them: k does not apply)."""

    name = "oracle"
    summary = "the planted evidence words (synthetic task): an upper bound"
    selects_k = False
    marks_words = True

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        examples = _with_evidence(request.examples)
        return {
            e.id: " ".join(item.word for item in sorted(e.evidence, key=lambda i: i.start)) for e in examples
        }

    def marks(self, request: SourceRequest) -> dict[str, Marks]:
        selection, records_of = request.selected()
        by_id = {e.id: e for e in _with_evidence(request.examples)}
        out = {}
        for record in records_of(None, request.split):
            pool = selection.eligible(record)
            evidence = by_id[record.example_id].evidence
            chosen = [u for u in pool if any(ev.start < u.end and u.start < ev.end for ev in evidence)]
            rest = [u for u in pool if u not in chosen]
            if len(chosen) < request.k:
                chosen += random_units(rest, request.k - len(chosen), request.seed, record.example_id)
            out[record.example_id] = marks_of(chosen, pool)
        return out


def _with_evidence(examples: Sequence[Example]) -> Sequence[Example]:
    if examples and not any(e.evidence for e in examples):
        raise ValueError(
            "the oracle source needs evidence spans (Example.evidence), e.g. the synthetic task's"
        )
    return examples
