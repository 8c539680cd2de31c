"""A damaged artifact of a finished run is found and recomputed, and the run ends with the
metrics of a clean run (the built-in demo, copied from the session's run)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import PipelineResult, run_pipeline

VOLATILE = ("stage_seconds", "config_text")


def rerun(demo_run: Path, tmp_path: Path, damage, demo_config) -> tuple[PipelineResult, str]:
    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    damage(run_dir)
    out = io.StringIO()
    result = run_pipeline(validate_config(demo_config(run_dir), Config), console=Console(file=out, width=400))
    return result, out.getvalue()


def metrics(run_dir: Path) -> dict[str, Any]:
    import json

    return {k: v for k, v in json.loads((run_dir / "metrics.json").read_text()).items() if k not in VOLATILE}


def _one(run_dir: Path, pattern: str) -> Path:
    (path,) = run_dir.glob(pattern)
    return path


def flip_one_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_altered_byte_is_found_and_recomputed_to_a_clean_runs_metrics(
    demo_run: Path, tmp_path: Path, demo_config
) -> None:
    parquet = "attribute/saliency-train-*/attributions.parquet"
    result, printed = rerun(
        demo_run, tmp_path, lambda run: flip_one_byte(_one(run, parquet), 4096), demo_config
    )
    path = _one(result.run_dir, parquet)
    assert result.repaired == ["attribute/saliency-train"]
    assert (
        f"! attribute/saliency-train: {path} differs from what was written (checksum mismatch); recomputing"
        in printed
    )
    assert "attribute/saliency-train" in result.computed
    # The same scores as the clean run's (the file's metadata names the teacher's folder,
    # which is in this run's directory).
    assert pq.read_table(path) == pq.read_table(_one(demo_run, parquet))
    assert metrics(result.run_dir) == metrics(demo_run)


def test_a_valid_parquet_with_other_scores_is_not_used(demo_run: Path, tmp_path: Path, demo_config) -> None:
    parquet = "attribute/attention-train-*/attributions.parquet"

    def rescore(run_dir: Path) -> None:
        path = _one(run_dir, parquet)
        table = pq.read_table(path)
        scores = [[-s for s in row] for row in table.column("scores").to_pylist()]
        index = table.schema.get_field_index("scores")
        pq.write_table(table.set_column(index, table.schema.field(index), [scores]), path)

    result, _ = rerun(demo_run, tmp_path, rescore, demo_config)
    assert result.repaired == ["attribute/attention-train"]
    assert metrics(result.run_dir) == metrics(demo_run)


@pytest.mark.parametrize("name", ["train.parquet", "task.json"])
def test_a_truncated_prepared_split_is_recomputed(
    demo_run: Path, tmp_path: Path, demo_config, name: str
) -> None:
    def truncate(run_dir: Path) -> None:
        path = _one(run_dir, f"prepare/synthetic-*/{name}")
        path.write_bytes(path.read_bytes()[:-7])

    result, _ = rerun(demo_run, tmp_path, truncate, demo_config)
    assert result.repaired == ["prepare/synthetic"]
    assert metrics(result.run_dir) == metrics(demo_run)


@pytest.mark.slow  # retrains the demo's teacher and all after it (~35 s); test_integrity checks sizes
def test_a_truncated_teacher_model_is_retrained_not_loaded(
    demo_run: Path, tmp_path: Path, demo_config
) -> None:
    def truncate(run_dir: Path) -> None:
        weights = _one(run_dir, "teacher/tiny-causal-*/model/model.safetensors")
        weights.write_bytes(weights.read_bytes()[:1000])

    result, printed = rerun(demo_run, tmp_path, truncate, demo_config)
    weights = _one(result.run_dir, "teacher/tiny-causal-*/model/model.safetensors")
    assert f"! teacher/tiny-causal: {weights} has 1,000 bytes, not the " in printed
    # The retrained teacher's files name this run directory (the copy's), so its content
    # differs from the original's and everything built from the teacher is recomputed too.
    assert result.repaired[0] == "teacher/tiny-causal"
    assert "it was built from an earlier teacher/tiny-causal, recomputed since" in printed
    assert metrics(result.run_dir) == metrics(demo_run)
