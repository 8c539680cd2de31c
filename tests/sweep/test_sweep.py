"""Sweeps: cells planned and validated up front, each a cached pipeline run; a re-run
computes nothing and prints the same table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
import yaml
from rich.console import Console
from typer.testing import CliRunner

from pipeline.helpers import small_config, write_config
from tokendistill.cli import app
from tokendistill.config_io import ConfigError
from tokendistill.sweep import load_sweep, markdown_table, plan, run_sweep, write_outputs
from tokendistill.sweep.config import SweepConfig, cells


def _sweep_file(tmp_path: Path, **changes) -> Path:
    base = small_config(tmp_path / "unused")
    base["task"]["synthetic"].update(
        {"shortcut": 0.9, "n_train": 24, "teacher_train": 48, "teacher_valid": 16}
    )
    base["teacher"]["training"]["epochs"] = base["student_training"]["epochs"] = 1
    base["students"] = [
        base["students"][0],
        {"name": "oracle", "mode": "multitask", "rationale": {"source": "oracle"}},
    ]
    write_config(base, tmp_path / "base.yaml")
    sweep = {
        "title": "test sweep",
        "base": "base.yaml",
        "run_dir": str(tmp_path / "sweep"),
        "seeds": [0, 1],
        "axes": {"task.synthetic.shortcut": [None, 0.9]},
        **changes,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    return path


def _run(path: Path, jobs: int = 1) -> tuple[str, str]:
    out = io.StringIO()
    config, base = load_sweep(path)
    results = run_sweep(plan(config, base), Console(file=out, width=200), jobs)
    write_outputs(config, results, f"tokendistill sweep {path}")
    return markdown_table(config, results), out.getvalue()


@pytest.mark.processes
def test_a_two_cell_two_seed_sweep_runs_end_to_end_and_reruns_from_the_cache(tmp_path: Path) -> None:
    """The first run takes the two cells in parallel processes; the re-run, in this process,
    finds every stage of every cell done and prints the same table."""
    path = _sweep_file(tmp_path)
    table, printed = _run(path, jobs=2)
    lines = table.splitlines()
    assert lines[0] == "| shortcut | teacher | standard | oracle |"
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| 0.9", "| none"]  # base cell first
    for line in lines[2:]:
        assert line.count(" ± ") == 2 and line.count("[") == 2
    summary = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [len(s["test_accuracy"]) for c in summary["cells"] for s in c["students"]] == [2] * 4
    assert (tmp_path / "sweep" / "SWEEP.md").read_text().endswith(table + "\n")
    assert '<img alt="shortcut"' in (tmp_path / "sweep" / "sweep.html").read_text()
    assert "cell base: done" in printed and "cell shortcut=none: done" in printed
    for log in (tmp_path / "sweep").glob("*.log"):
        assert "▶ teacher/" in log.read_text()  # each cell's process computed its own teacher

    # Again through the command line, in this process: nothing computed, the same table.
    done = CliRunner().invoke(app, ["sweep", str(path)])
    assert done.exit_code == 0, done.output
    assert "▶" not in done.stdout and "done: " in done.stdout  # every stage came from the cache
    assert (tmp_path / "sweep" / "SWEEP.md").read_text().endswith(table + "\n")


def test_every_cell_is_validated_before_anything_runs(tmp_path: Path) -> None:
    path = _sweep_file(tmp_path, axes={"task.synthetic.shortcut": [0.9, 1.5]})
    config, base = load_sweep(path)
    with pytest.raises(ConfigError, match=r"(?s)sweep cell shortcut=1.5: .*task.synthetic.shortcut"):
        plan(config, base)
    assert not (tmp_path / "sweep").exists()


PEFT_AXIS = {"student_model.peft": [None, {"r": 2, "alpha": 4, "target_modules": ["nope"]}]}
PREFLIGHT_CASES = {
    "lora-targets": (
        PEFT_AXIS,
        "sweep cell peft={{'r': 2, 'alpha': 4, 'target_modules': ['nope']}}: invalid config: {base}, from "
        "--set: student_model.peft: Target modules {{'nope'}} not found in the base model. Please check the "
        "target modules and try again.",
    ),
    "k-above-every-input": (
        {"selection.k": [3, 60]},
        "sweep cell k=60: invalid config: {base}, from --set: selection.k: k = 60 words, but no training "
        "input has that many content words (the most is 17): every rationale would be the whole input",
    ),
}
if not torch.cuda.is_available():
    PREFLIGHT_CASES["fp16-without-cuda"] = (
        {"teacher.model.precision": ["fp32", "fp16"]},
        "sweep cell precision=fp16: invalid config: {base}, from --set: teacher.model.precision: precision: "
        "fp16 for 'tiny-causal' needs a CUDA GPU (there is no fp16 mixed precision on this machine); use "
        "bf16 or fp32.",
    )


@pytest.mark.parametrize("name", sorted(PREFLIGHT_CASES))
def test_a_cell_its_run_would_refuse_fails_before_any_cell_runs(tmp_path: Path, name: str) -> None:
    """What `run` checks before its first stage (models, machine, data) is checked for every
    cell first: one line naming the cell and the key, nothing written."""
    axes, expected = PREFLIGHT_CASES[name]
    path = _sweep_file(tmp_path, axes=axes)
    done = CliRunner().invoke(app, ["sweep", str(path)])
    assert done.exit_code == 2
    assert done.stderr.splitlines() == ["error: " + expected.format(base=tmp_path / "base.yaml")]
    assert not (tmp_path / "sweep").exists()


def test_cells_one_at_a_time_and_full() -> None:
    sweep = SweepConfig(base=Path("b.yaml"), run_dir=Path("r"), axes={"a": [1, 2], "b": ["x", "y"]})
    base = {"a": 1, "b": "x"}
    assert [c.label for c in cells(sweep, base)] == ["base", "a=2", "b=y"]
    full = sweep.model_copy(update={"grid": "full"})
    assert [c.label for c in cells(full, base)] == ["base", "b=y", "a=2", "a=2, b=y"]
    assert [c.values for c in cells(full, base)][-1] == {"a": 2, "b": "y"}
