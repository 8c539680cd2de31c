"""``analyze``: the report's rationale analyses of one attribution artifact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tokendistill.commands.failures import loaded
from tokendistill.commands.terminal import SetOpt, console, fail

if TYPE_CHECKING:
    from tokendistill.attribution.result import TokenAttribution
    from tokendistill.rationales.analysis.config import AnalysisConfig
    from tokendistill.rationales.analysis.result import AnalysisResult
    from tokendistill.rationales.config import SelectionConfig


def analyze_command(
    attributions: Annotated[
        Path, typer.Argument(help="an attributions.parquet artifact", show_default=False)
    ],
    k: Annotated[
        int | None,
        typer.Option(min=1, help="rationale size (default: the selection.k of --config, or the default one)"),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="the run's config: its selection, analysis and task (evidence) settings"),
    ] = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="write the analysis as JSON here")] = None,
) -> None:
    """Rationale analyses of one attribution artifact, as the pipeline computes them: gold
    overlap and planted-evidence hits at k, and both over the config's k-sweep."""
    from tokendistill.rationales.analysis.summary import analyze_records
    from tokendistill.rationales.select import Selection
    from tokendistill.runtime.files import atomic_write_json

    records, meta = _read_artifact(attributions)
    selection, analysis, evidence = _analysis_settings(config, set_)
    if k is not None:
        selection = _with_k(selection, k)
    k = selection.k
    method = str(meta.get("method") or attributions.stem)
    result = analyze_records(
        {method: records}, Selection(selection), k, analysis.k_sweep, evidence, analysis.seed
    )
    console.print(f"{method}: {len(records)} examples, top-{k} {selection.unit}s")
    _print_analysis(result)
    if out:
        atomic_write_json(out, result.to_json(), sort_keys=False)
        console.print(f"written: {out}")


def _read_artifact(path: Path) -> tuple[list[TokenAttribution], dict[str, Any]]:
    """Records and metadata of an attribution artifact; a one-line error for anything else."""
    from tokendistill.attribution.store import read_attributions

    if not path.is_file():
        fail(f"{path}: file not found")
    try:
        return read_attributions(path)
    except (OSError, ValueError, KeyError, TypeError) as err:  # pyarrow's errors derive from these
        fail(f"{path}: not an attribution Parquet file: {' '.join(str(err).split())}")


def _with_k(selection: SelectionConfig, k: int) -> SelectionConfig:
    """``selection`` with ``--k``, checked against the same bounds as ``selection.k``."""
    from pydantic import ValidationError

    try:
        return type(selection).model_validate({**selection.model_dump(), "k": k})
    except ValidationError as err:
        fail(f"--k {k}: {err.errors()[0]['msg']}")


def _analysis_settings(
    config_path: Path | None, overrides: list[str] | None
) -> tuple[SelectionConfig, AnalysisConfig, dict[str, list[tuple[int, int]]]]:
    """Selection and analysis settings and evidence spans: the config's (its task's planted
    evidence) with ``--config``, the defaults (no evidence) without."""
    from tokendistill.rationales.analysis.config import AnalysisConfig
    from tokendistill.rationales.analysis.evidence import evidence_spans
    from tokendistill.rationales.config import SelectionConfig
    from tokendistill.tasks import DataError, load_task

    if config_path is None:
        if overrides:
            fail("--set overrides keys of a config: give it with --config")
        return SelectionConfig(), AnalysisConfig(), {}
    from tokendistill.config import load_config

    cfg = loaded(load_config(config_path, overrides or []))
    try:
        _, data = load_task(cfg.task)
    except (DataError, ValueError) as err:
        fail(str(err))
    return cfg.selection, cfg.analysis, evidence_spans(data.train)


def _print_analysis(result: AnalysisResult) -> None:
    """The overlap row and the evidence row at k (as column: value), then the k-sweep."""
    console.print(f"gold answer in the input: {_cell(result.gold_in_input)}")
    for title, rows in (("gold-answer overlap", result.overlap), ("planted evidence", result.evidence)):
        for row in rows:
            table = Table(title=f"{title} at k={row.k}")
            table.add_column("column")
            table.add_column("value", justify="right")
            for header, value in zip(row.headers(), row.values(), strict=True):
                table.add_row(header, _cell(value))
            console.print(table)
    (method,) = result.k_sweep
    columns = {"gold overlap": result.k_sweep[method]}
    if result.evidence_sweep:
        columns.update(
            {"top-k hit rate": result.evidence_sweep[method], "random-k hit rate": result.evidence_chance}
        )
    table = Table(title="against k")
    for name in ("k", *columns):
        table.add_column(name, justify="right")
    for kk in result.k_sweep[method]:
        table.add_row(str(kk), *[_cell(points.get(kk)) for points in columns.values()])
    console.print(table)


def _cell(value: object) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))
