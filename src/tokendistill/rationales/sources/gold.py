"""``gold``: the gold answer itself as the rationale, a leakage control."""

from __future__ import annotations

from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class GoldSource(RationaleSource):
    """The explain task then teaches the label directly, which bounds what a rationale that
    names the answer can give."""

    name = "gold"
    summary = "the gold answer as the rationale (a leakage control)"
    selects_k = False

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        return {e.id: e.label for e in request.examples}
