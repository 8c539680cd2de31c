"""The self-contained HTML page of ``explain``: one token heatmap per input (``tokendistill.heatmap``)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from tokendistill.attribution.result import TokenAttribution
from tokendistill.heatmap import HeatmapExample, render_heatmap
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.runtime.files import atomic_write_text

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.4em}.muted{color:#777;font-size:.9em}
h2{font-size:1em;margin:1.2em 0 .2em}.heat{border:1px solid #e3e3e3;border-radius:6px;padding:.5em .8em}
.heat .meta{font-size:.85em;color:#555;margin-bottom:.3em}.heat .text{font-family:ui-monospace,monospace;
font-size:.9em}.sel{text-decoration:underline 2px #222}.tpl{color:#999}
"""


def write_page(path: Path, records: Sequence[TokenAttribution], *, model: str, method: str, k: int) -> Path:
    """Write the page: a header naming the model and method, then every record's heatmap
    (shade: |score| relative to the example's largest; underlined: the top-``k`` words)."""
    selection = Selection(SelectionConfig(k=k))
    sections = [
        f"<h2>{html.escape(r.example_id)}</h2>{render_heatmap(_heatmap(r, selection, k, method))}"
        for r in records
    ]
    header = (
        f"<h1>tokendistill explain: {html.escape(model)}</h1>"
        f'<p class="muted">method {html.escape(method)} · {len(records)} input(s) · shade: |score| '
        f"relative to the input's largest · underlined: top-{k} words · grey: template. "
        "'teacher' is the explained model's answer, 'gold' the label when the input has one.</p>"
    )
    body = header + "".join(sections)
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>tokendistill explain: {html.escape(model)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
    return atomic_write_text(path, page)


def _heatmap(record: TokenAttribution, selection: Selection, k: int, method: str) -> HeatmapExample:
    spans = list(selection.select(record, k).spans) if record.finite else []
    return HeatmapExample(
        example_id=record.example_id,
        text=record.text,
        offsets=list(record.offsets),
        scores=list(record.scores),
        content=list(record.content),
        selected=spans,
        gold=record.gold,
        teacher_answer=record.teacher_answer,
        method=method,
    )
