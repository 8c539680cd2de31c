"""``oracle``: the words known to carry the answer, an upper bound for any rationale.

Tasks with planted or annotated evidence (``Example.evidence``, e.g. the ``synthetic`` task's)
know which input words decide the label; a student trained to "explain" with exactly those
words shows how much the best possible rationale could give.
"""

from __future__ import annotations

from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class OracleSource(RationaleSource):
    """Every planted evidence word, in input order (all of them: k does not apply)."""

    name = "oracle"
    summary = "the planted evidence words (synthetic task): an upper bound"
    selects_k = False

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        examples = request.examples
        if examples and not any(e.evidence for e in examples):
            raise ValueError(
                "the oracle source needs evidence spans (Example.evidence), e.g. the synthetic task's"
            )
        return {
            e.id: " ".join(item.word for item in sorted(e.evidence, key=lambda i: i.start)) for e in examples
        }
