"""benchmarks/distill_table.py: its tiers are valid configs, and its table is read from a
finished run, so re-running a finished tier computes nothing and prints the same table."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tokendistill.config import Config
from tokendistill.config_io import load_yaml_config
from tokendistill.pipeline import run_pipeline
from tokendistill.tasks.config import default_data_dir

from .helpers import REPO, small_config, write_config

SCRIPT = REPO / "benchmarks" / "distill_table.py"


def load_script():
    spec = importlib.util.spec_from_file_location("distill_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


table = load_script()


@pytest.mark.parametrize(
    ("tier", "task"), [(t, task) for t, tier in table.TIERS.items() for task in tier.tasks]
)
def test_every_tier_runs_a_valid_config(tier: str, task: str) -> None:
    spec = table.TIERS[tier]
    path = REPO / "configs" / "offline" / f"{task}.yaml"
    full = load_yaml_config(path, Config)
    config = load_yaml_config(path, Config, table.tier_overrides(spec, task, path))
    assert config.run_dir == Path(spec.run_root) / task
    # The tier leaves out the students it names and keeps the others as configured, but for
    # the two-task α where the tier sets one.
    kept = [s for s in full.students if s.name not in spec.without]
    if spec.two_task_alpha is not None:
        assert any(s.mode == "multitask" and s.alpha != spec.two_task_alpha for s in kept)
        kept = [
            s.model_copy(update={"alpha": spec.two_task_alpha}) if s.mode == "multitask" else s for s in kept
        ]
    assert config.students == kept
    command = table.cli_command(path, table.tier_overrides(spec, task, path))
    assert command.startswith(f"tokendistill run configs/offline/{task}.yaml --set ")


CPU_TIER_SIZES = {
    "esnli": {"train": 2000, "valid": 300, "test": 1000},
    "cqa": {"train": 1000, "valid": 200, "test": 1221},
}


def test_cpu_tier_has_sizes_for_its_tasks() -> None:
    assert set(table.TIERS["cpu"].tasks) <= set(table.TIERS["cpu"].overrides) == set(CPU_TIER_SIZES)


@pytest.mark.parametrize("task", sorted(table.TIERS["cpu"].overrides))
def test_cpu_tier_prepares_its_documented_splits(task: str, tmp_path: Path) -> None:
    if not (default_data_dir() / task).is_dir():
        pytest.skip(f"no {task} data in {default_data_dir()}")
    path = REPO / "configs" / "offline" / f"{task}.yaml"
    overrides = [*table.tier_overrides(table.TIERS["cpu"], task, path), f"run_dir={tmp_path}"]
    config = load_yaml_config(path, Config, overrides)
    run_pipeline(config, until="prepare")
    (done,) = tmp_path.glob(f"prepare/{task}-*/DONE.json")
    assert json.loads(done.read_text())["summary"] == CPU_TIER_SIZES[task]


def sweep_config(run_dir: Path) -> dict:
    data = small_config(run_dir)
    data["students"].append(
        {
            "name": "ours-saliency-k",
            "mode": "multitask",
            "rationale": {"source": "attribution", "method": "saliency"},
            "sweep_k": [1, 2],
        }
    )
    return data


def test_table_of_a_run_and_a_cached_rerun(tmp_path: Path, monkeypatch, capsys) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    write_config(sweep_config(tmp_path / "unused"), configs / "synthetic.yaml")
    tier = dataclasses.replace(table.TIERS["cpu"], run_root=str(tmp_path / "runs"), two_task_alpha=None)
    monkeypatch.setitem(table.TIERS, "cpu", tier)
    args = ["--tier", "cpu", "--tasks", "synthetic", "--configs", str(configs)]

    text = table.main(args)
    first = capsys.readouterr()
    assert "stage(s) computed, 0 cached" in first.err

    metrics = json.loads((tmp_path / "runs" / "synthetic" / "metrics.json").read_text())
    teacher = metrics["teacher"]
    assert (
        f"| teacher ({teacher['model']}) | gold labels | 1 | {100 * teacher['test_accuracy']:.1f} |" in text
    )
    students = {s["name"]: s for s in metrics["students"]}
    assert set(students) == {"standard", "ours-saliency", "ours-saliency-k@k=1", "ours-saliency-k@k=2"}
    for name, s in students.items():
        low, high = s["ci95"]
        assert (
            f"| {name} | {s['detail']} | 1 | {100 * s['mean']:.1f} ± 0.0 | {100 * low:.1f}–{100 * high:.1f} |"
            in text
        )
    # k = 3 (the main ours-saliency student) joins the swept ks, in order.
    sweep = ", ".join(
        f"k={k}: {100 * students[n]['mean']:.1f}"
        for k, n in [(1, "ours-saliency-k@k=1"), (2, "ours-saliency-k@k=2"), (3, "ours-saliency")]
    )
    assert f"Student k-sweep (ours-saliency-k, test accuracy %): {sweep}" in text
    # Synthetic labels are class names that never occur in the input.
    assert metrics["gold_in_input"] == 0
    assert "Gold answer among the top-3 tokens: not applicable" in text
    comprehensiveness = {r["method"]: r["comprehensiveness"] for r in metrics["faithfulness"]}
    for method in ("saliency", "random"):
        assert f"| {method} | {comprehensiveness[method]:.3f} |" in text
    assert "Agreement between methods: saliency vs random" not in text
    assert "Wall time per stage (first run): prepare" in text
    assert (tmp_path / "runs" / "TABLE.md").read_text().endswith(text + "\n")

    assert table.main(args) == text
    assert "0 stage(s) computed" in capsys.readouterr().err


def test_print_commands_runs_nothing(tmp_path: Path, monkeypatch) -> None:
    tier = dataclasses.replace(table.TIERS["gpu"], run_root=str(tmp_path))
    monkeypatch.setitem(table.TIERS, "gpu", tier)
    text = table.main(["--tier", "gpu", "--print-commands"])
    assert text.splitlines() == [
        f"tokendistill run configs/offline/{t}.yaml --set 'run_dir={tmp_path}/{t}'" for t in tier.tasks
    ]
    assert list(tmp_path.iterdir()) == []
