"""``attribution``: the teacher's top-k words under one attribution method (the paper's rationale)."""

from __future__ import annotations

from tokendistill.rationales.marks import Marks, marks_of
from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class AttributionSource(RationaleSource):
    """Top-k units of every record, selected from stored scores; a record with non-finite
    scores gets an empty rationale (it is counted in the analyses, never ranked). Its marks
    weigh the top-k words by their (positive) scores."""

    name = "attribution"
    summary = "the teacher's top-k words under an attribution method (the paper's)"
    needs_method = True
    marks_words = True

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        selection, records_of = request.selected()
        records = records_of(request.method, request.split)
        select = selection.select
        return {r.example_id: select(r, request.k, on_nonfinite="empty").text for r in records}

    def marks(self, request: SourceRequest) -> dict[str, Marks]:
        selection, records_of = request.selected()
        out = {}
        for record in records_of(request.method, request.split):
            top = selection.top_units(record, request.k, on_nonfinite="empty")
            if top is None:  # non-finite scores guide nothing
                out[record.example_id] = Marks((), (), ())
                continue
            out[record.example_id] = marks_of(top, selection.eligible(record), [u.score for u in top])
        return out
