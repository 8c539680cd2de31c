"""``attribution``: the teacher's top-k words under one attribution method (the paper's rationale)."""

from __future__ import annotations

from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class AttributionSource(RationaleSource):
    """Top-k units of every record, selected from stored scores; a record with non-finite
    scores gets an empty rationale (it is counted in the analyses, never ranked)."""

    name = "attribution"
    summary = "the teacher's top-k words under an attribution method (the paper's)"
    needs_method = True

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        selection, records_of = request.selected()
        records = records_of(request.method, request.split)
        select = selection.select
        return {r.example_id: select(r, request.k, on_nonfinite="empty").text for r in records}
