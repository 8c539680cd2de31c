"""Flat result tables over datasets × methods × k, and their JSON form.

Rows are plain dicts (one per dataset/method/k) so the report stage can render them as a
table or plot without knowing the result classes; JSON keeps them diff-able and NaN-free
(undefined values are ``null``).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.analysis.agreement import ScoreUnit, method_agreement
from tokendistill.rationales.analysis.faithfulness import faithfulness
from tokendistill.rationales.analysis.overlap import k_sweep
from tokendistill.rationales.analysis.result import finite_or_null
from tokendistill.rationales.analysis.scale import LogProbFn
from tokendistill.rationales.select import Selection
from tokendistill.runtime.files import atomic_write_text

__all__ = ["agreement_table", "analysis_table", "table_to_json", "write_table_json"]

Runs = Mapping[tuple[str, str], Sequence[TokenAttribution]]


def _score_fn_for(score_fn: LogProbFn | Mapping[str, LogProbFn] | None, dataset: str) -> LogProbFn | None:
    if score_fn is None or callable(score_fn):
        return score_fn  # type: ignore[return-value]
    return score_fn.get(dataset)


def analysis_table(
    runs: Runs,
    ks: Iterable[int],
    selection: Selection,
    *,
    score_fn: LogProbFn | Mapping[str, LogProbFn] | None = None,
    faithfulness_ks: Iterable[int] = (),
    seed: int,
) -> list[dict[str, Any]]:
    """One row per (dataset, method, k) with gold overlap and, where asked, faithfulness.

    ``runs`` maps ``(dataset, method)`` to that run's records. Faithfulness needs the teacher,
    so it is computed only for k in ``faithfulness_ks`` and only when a ``score_fn`` is given
    (the teacher's answer log-probabilities, ``scale.LogProbFn``: one for all, or one per
    dataset), on the answer-log-probability scale; those columns are absent otherwise.
    """
    ks = list(ks)
    faith_ks = set(faithfulness_ks)
    rows: list[dict[str, Any]] = []
    for (dataset, method), records in runs.items():
        fn = _score_fn_for(score_fn, dataset)
        for result in k_sweep(records, ks, selection):
            row: dict[str, Any] = {
                "dataset": dataset,
                "method": method,
                "k": result.k,
                "unit": selection.unit,
                "word_agg": selection.word_agg,
            }
            row.update({key: v for key, v in result.as_dict().items() if key != "k"})
            if fn is not None and result.k in faith_ks:
                metrics = faithfulness(records, result.k, fn, selection, seed=seed)
                for name, res in metrics.items():
                    row[name] = res.mean
                    row[f"{name}_random"] = res.mean_random
                row["n_faithfulness"] = len(metrics["comprehensiveness"].example_ids)
            rows.append(row)
    return rows


def agreement_table(
    runs: Runs,
    ks: Iterable[int],
    selection: Selection,
    *,
    score_unit: ScoreUnit = "token",
) -> list[dict[str, Any]]:
    """One row per (dataset, method pair, k) with top-k Jaccard and Spearman.

    Method pairs are taken in sorted order (``method_a < method_b``) within each dataset.
    """
    ks = list(ks)
    by_dataset: dict[str, dict[str, Sequence[TokenAttribution]]] = {}
    for (dataset, method), records in runs.items():
        by_dataset.setdefault(dataset, {})[method] = records
    rows: list[dict[str, Any]] = []
    for dataset in sorted(by_dataset):
        methods = by_dataset[dataset]
        for a, b in itertools.combinations(sorted(methods), 2):
            for k in ks:
                res = method_agreement(methods[a], methods[b], k, selection, score_unit)
                rows.append({"dataset": dataset, "method_a": a, "method_b": b, **res.as_dict()})
    return rows


def table_to_json(rows: Sequence[Mapping[str, Any]], metadata: Mapping[str, Any] | None = None) -> str:
    """``{"metadata": ..., "rows": [...]}`` as indented JSON; NaN/inf become ``null``."""
    doc = {"metadata": dict(metadata or {}), "rows": [dict(r) for r in rows]}
    return json.dumps(finite_or_null(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_table_json(
    path: str | os.PathLike[str],
    rows: Sequence[Mapping[str, Any]],
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``table_to_json(rows, metadata)`` to ``path`` atomically."""
    return atomic_write_text(path, table_to_json(rows, metadata))
