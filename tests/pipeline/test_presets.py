"""The presets under configs/: every one validates, they set up the paper's comparison, and
the paper presets stop before running anything when the Hugging Face Hub is out of reach,
with one sentence naming the config line of the model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import huggingface_hub.constants
import pytest
from typer.testing import CliRunner

from tokendistill.cli import app
from tokendistill.config import Config
from tokendistill.config_io import ConfigError, load_yaml_config
from tokendistill.pipeline import run_pipeline
from tokendistill.tasks.config import default_data_dir

from .helpers import DEMO, REPO, cli, subprocess_env

CONFIGS = REPO / "configs"
TASKS = ("anli1", "cqa", "esnli", "svamp")
STUDENTS = ["standard", "distill", "dss-palm", "ours-saliency", "ours-ig", "random-5"]
# Run configs; sweep configs (a base run config plus axes) are checked by planning them.
SWEEPS = sorted(CONFIGS.rglob("sweep*.yaml"))
LAUNCHERS = sorted((CONFIGS / "accelerate").glob("*.yaml"))  # accelerate launch configs
PRESETS = sorted(set(CONFIGS.rglob("*.yaml")) - set(SWEEPS) - set(LAUNCHERS))
OFFLINE_ERROR = (
    "could not reach the Hugging Face Hub to download google/flan-t5-xl; "
    "check the network or pass a local folder."
)


def preset_id(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_the_preset_families_are_complete() -> None:
    for family in ("paper", "offline"):
        assert sorted(p.stem for p in (CONFIGS / family).glob("*.yaml")) == sorted(TASKS)


@pytest.mark.parametrize("path", [*PRESETS, DEMO], ids=preset_id)
def test_preset_validates(path: Path) -> None:
    config = load_yaml_config(path, Config)
    assert config.title


@pytest.mark.parametrize("path", LAUNCHERS, ids=preset_id)
def test_launch_configs_are_accelerate_configs(path: Path) -> None:
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(path))
    assert config.distributed_type.value == "FSDP"
    assert config.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"  # kept models: plain folders


@pytest.mark.parametrize("path", SWEEPS, ids=preset_id)
def test_sweep_preset_plans_every_cell(path: Path) -> None:
    """Every cell of a shipped sweep validates, and the sweep's base point is the demo."""
    from tokendistill.sweep import load_sweep, plan

    sweep, base = load_sweep(path)
    planned = plan(sweep, base)
    assert len(planned) > 1 and planned[0].cell.label == "base"
    assert base.resolve() == DEMO.resolve()


@pytest.mark.parametrize("task", TASKS)
def test_paper_preset_is_the_papers_setup(task: str) -> None:
    config = load_yaml_config(CONFIGS / "paper" / f"{task}.yaml", Config)
    assert config.task.name == task and config.task.llm_rationales
    assert config.teacher.model.name == "google/flan-t5-xl" and config.teacher.finetune
    # Sized for real GPUs: bf16 compute, recomputed activations, the batch that fits.
    assert config.teacher.model.precision == config.student_model.precision == "bf16"
    assert config.teacher.model.gradient_checkpointing and config.attribution.batch_size == "auto"
    assert config.student_model.name == "google-t5/t5-small"
    assert config.seeds == [0, 1, 2]
    # The paper's rationale: raw top-5 tokens by score.
    selection = config.selection
    assert (selection.k, selection.unit, selection.filters, selection.order) == (5, "token", [], "score")
    assert config.attribution.methods == ["saliency", "integrated_gradients", "random"]
    assert [s.name for s in config.students] == STUDENTS
    by_name = {s.name: s for s in config.students}
    assert by_name["distill"].labels == "teacher" and by_name["standard"].labels == "gold"
    assert by_name["dss-palm"].rationale.source == "llm"
    assert by_name["ours-saliency"].rationale.method == "saliency"
    assert by_name["ours-ig"].rationale.method == "integrated_gradients"
    assert by_name["random-5"].rationale.source == "random"
    assert all(s.alpha == 0.5 for s in config.students if s.mode == "multitask")
    # Distilling Step-by-Step's training setup for the students.
    training = config.student_training
    assert (training.learning_rate, training.batch_size, training.max_steps) == (5e-5, 64, 10000)


# The student each offline preset trains, chosen on validation (benchmarks/RESULTS.md).
OFFLINE_STUDENTS = {
    "esnli": "minilm-encdec",
    "anli1": "minilm-encdec",
    "cqa": "smollm2-135m:layers=6",
    "svamp": "smollm2-135m:layers=6",
}


@pytest.mark.parametrize("task", TASKS)
def test_offline_preset_matches_the_paper_comparison(task: str) -> None:
    paper = load_yaml_config(CONFIGS / "paper" / f"{task}.yaml", Config)
    offline = load_yaml_config(CONFIGS / "offline" / f"{task}.yaml", Config)
    assert offline.teacher.model.name == "smollm2-135m" and offline.teacher.finetune
    assert offline.student_model.name == OFFLINE_STUDENTS[task]
    # The paper's six students first; a preset may add a student k-sweep after them.
    assert offline.students[: len(paper.students)] == paper.students
    for extra in offline.students[len(paper.students) :]:
        assert extra.sweep_k and extra.rationale.source == "attribution"
    assert offline.selection == paper.selection
    assert offline.attribution.methods == paper.attribution.methods
    assert offline.seeds == paper.seeds
    mode = "generate" if task == "svamp" else "rank"
    assert offline.teacher.training.eval_mode == offline.student_training.eval_mode == mode
    assert offline.task.data_dir is None  # the default data folder


# Split sizes the offline presets' comments promise (after the valid hold-out and trimming);
# the CPU tier's trimmed sizes are tested with benchmarks/distill_table.py.
OFFLINE_SIZES = {
    "esnli": {"train": 10000, "valid": 9842, "test": 9824},
    "anli1": {"train": 900, "valid": 100, "test": 1000},
    "cqa": {"train": 8766, "valid": 975, "test": 1221},
    "svamp": {"train": 720, "valid": 80, "test": 200},
}


@pytest.mark.parametrize("task", TASKS)
def test_offline_preset_prepares_the_documented_splits(task: str, tmp_path: Path) -> None:
    if not (default_data_dir() / task).is_dir():
        pytest.skip(f"no {task} data in {default_data_dir()}")
    config = load_yaml_config(CONFIGS / "offline" / f"{task}.yaml", Config, [f"run_dir={tmp_path}"])
    run_pipeline(config, until="prepare")
    (done,) = tmp_path.glob(f"prepare/{task}-*/DONE.json")
    assert json.loads(done.read_text())["summary"] == OFFLINE_SIZES[task]


def paper_config(task: str, tmp_path: Path) -> tuple[Path, list[str]]:
    """A paper preset shrunk to 8 examples per split, writing into ``tmp_path``."""
    data_dir = default_data_dir()
    if not (data_dir / task).is_dir():
        pytest.skip(f"no {task} data in {data_dir}")
    overrides = [f"run_dir={tmp_path / 'run'}", f"task.data_dir={data_dir}", "task.max_examples=8"]
    return CONFIGS / "paper" / f"{task}.yaml", overrides


@pytest.fixture
def empty_hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A model already in the local HF cache would load (3B parameters); use an empty one."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


def offline_error(path: Path) -> str:
    """The one line a paper preset fails with offline: the teacher's config line, then why."""
    lines = path.read_text().splitlines()
    line = 1 + next(i for i, text in enumerate(lines) if text.strip() == "name: google/flan-t5-xl")
    return f"error: invalid config: {path}, line {line}: teacher.model.name: {OFFLINE_ERROR}"


@pytest.mark.parametrize("task", TASKS)
def test_paper_preset_stops_before_anything_runs_for_lack_of_network(
    task: str, tmp_path: Path, empty_hub_cache: Path
) -> None:
    path, overrides = paper_config(task, tmp_path)
    config = load_yaml_config(path, Config, overrides)
    with pytest.raises(ConfigError) as err:
        run_pipeline(config, until="teacher")
    assert str(err.value) == OFFLINE_ERROR and err.value.loc == ("teacher", "model", "name")
    # The data were read and checked, and nothing was written: the run directory is gone again.
    assert not (tmp_path / "run").exists()


MODERN = CONFIGS / "modern" / "esnli-qwen2.5.yaml"


def test_modern_preset_tunes_an_instruct_llm_with_lora(tmp_path: Path, empty_hub_cache: Path) -> None:
    config = load_yaml_config(MODERN, Config)
    teacher, student = config.teacher.model, config.student_model
    assert teacher.name == "Qwen/Qwen2.5-7B-Instruct" and teacher.prompt_format == "chat"
    assert teacher.peft is not None and teacher.precision == "bf16" and teacher.gradient_checkpointing
    assert student.name == "Qwen/Qwen2.5-0.5B-Instruct" and student.prompt_format == "chat"
    assert [s.name for s in config.students] == STUDENTS
    if not (default_data_dir() / "esnli").is_dir():
        pytest.skip(f"no esnli data in {default_data_dir()}")
    overrides = [f"run_dir={tmp_path / 'run'}", "task.max_examples=8"]
    with pytest.raises(ConfigError) as err:
        run_pipeline(load_yaml_config(MODERN, Config, overrides), until="teacher")
    assert str(err.value) == OFFLINE_ERROR.replace("google/flan-t5-xl", "Qwen/Qwen2.5-7B-Instruct")
    assert err.value.loc == ("teacher", "model", "name")


def test_cli_run_prints_the_hub_error_in_one_line(tmp_path: Path, empty_hub_cache: Path) -> None:
    path, overrides = paper_config("cqa", tmp_path)
    args = ["run", str(path)] + [a for o in overrides for a in ("--set", o)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == offline_error(path) + "\n"
    assert "Traceback" not in result.output


@pytest.mark.processes
def test_cli_run_subprocess(tmp_path: Path) -> None:
    """The installed command, as a user runs it: one line on stderr, no traceback."""
    path, overrides = paper_config("cqa", tmp_path)
    env = {**subprocess_env(), "HF_HOME": str(tmp_path / "hf-home")}
    args = cli("run", str(path), *[a for o in overrides for a in ("--set", o)])
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == offline_error(path)
    assert "Traceback" not in done.stderr + done.stdout
