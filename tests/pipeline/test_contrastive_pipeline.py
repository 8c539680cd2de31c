"""Contrastive attribution through the pipeline: the synthetic task's label set gives every
example its foils; the artifact records the setting and the report says what was attributed."""

from __future__ import annotations

import json
from pathlib import Path

from tokendistill.attribution.store import read_attributions

from .helpers import run_in_process, small_config


def test_a_contrastive_run_attributes_the_margin_and_says_so(tmp_path: Path) -> None:
    config = small_config(tmp_path / "run")
    config["attribution"].update({"methods": ["saliency"], "contrastive": True})
    config["students"] = config["students"][1:]  # the saliency student
    result, _ = run_in_process(config)

    (artifact,) = result.run_dir.glob("attribute/saliency-train-*/attributions.parquet")
    records, meta = read_attributions(artifact)
    assert meta["config"]["contrastive"] is True and len(records) == 32
    assert all(r.finite for r in records)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert any("attribution is contrastive" in note for note in metrics["task_notes"])
