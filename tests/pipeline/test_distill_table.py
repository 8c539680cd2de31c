"""benchmarks/distill_table.py: its tiers are valid configs, and its table is the report's
Markdown of a finished run, so re-running a finished tier computes nothing and prints the
same table (the rendering itself is tested in test_report_markdown.py)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tokendistill.config import Config, StudentConfig
from tokendistill.config_io import load_yaml_config
from tokendistill.pipeline import run_pipeline
from tokendistill.report.data import ReportData
from tokendistill.report.markdown import task_section
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
    if spec.students:  # a tier that names its students trains exactly those
        kept = [StudentConfig.model_validate(s) for s in spec.students]
    if spec.two_task_alpha is not None:
        alpha = spec.two_task_alpha
        assert any(s.mode == "multitask" and s.options.alpha != alpha for s in kept)
        kept = [
            StudentConfig.model_validate({**s.model_dump(), "alpha": alpha}) if s.mode == "multitask" else s
            for s in kept
        ]
    assert [s.determinants() for s in config.students] == [s.determinants() for s in kept]
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
    path = write_config(sweep_config(tmp_path / "unused"), configs / "synthetic.yaml")
    tier = dataclasses.replace(table.TIERS["cpu"], run_root=str(tmp_path / "runs"), two_task_alpha=None)
    monkeypatch.setitem(table.TIERS, "cpu", tier)
    args = ["--tier", "cpu", "--tasks", "synthetic", "--configs", str(configs)]

    text = table.main(args)
    first = capsys.readouterr()
    assert "stage(s) computed, 0 cached" in first.err

    # The section is the report's Markdown of the run's metrics.json, at the config's k.
    data = ReportData.from_json(json.loads((tmp_path / "runs" / "synthetic" / "metrics.json").read_text()))
    command = table.cli_command(path, table.tier_overrides(tier, "synthetic", path))
    assert text == task_section(data, command, 3)
    assert f"```bash\n{command}\n```" in text
    names = {"standard", "ours-saliency", "ours-saliency-k@k=1", "ours-saliency-k@k=2"}
    assert {s.name for s in data.students} == names
    for name in names:
        assert sum(line.startswith(f"| {name} |") for line in text.splitlines()) == 1
    # k = 3 (the main ours-saliency student) joins the swept ks, in order.
    (sweep,) = [line for line in text.splitlines() if line.startswith("Student k-sweep (ours-saliency-k,")]
    assert [cell.split(":")[0] for cell in sweep.split("): ", 1)[1].split(", ")] == ["k=1", "k=2", "k=3"]
    # Synthetic labels are class names that never occur in the input.
    assert data.analysis.gold_in_input == 0
    assert "Gold answer among the top-3 tokens: not applicable" in text
    assert [r.method for r in data.analysis.faithfulness] == ["saliency", "random"]
    # saliency vs random is the only pair, and random is a control: no agreement line.
    assert "Agreement between methods" not in text
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
