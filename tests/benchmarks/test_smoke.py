"""Every script under ``benchmarks/`` runs, at a smoke size (tiny models, a handful of inputs),
so that a refactor that breaks one fails CI. The published figures come from the full-size
commands in ``benchmarks/RESULTS.md``; nothing here measures anything.

Marked ``benchmark``: excluded from ``make test`` (they take about a minute together), run by
``make test-benchmarks``, which CI runs. ``distill_table.py`` is run by
``tests/pipeline/test_distill_table.py`` in the suite itself.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import huggingface_hub.constants
import pytest
import yaml

from tokendistill.tasks.config import default_data_dir

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.benchmark
needs_data = pytest.mark.skipif(
    not (default_data_dir() / "esnli").is_dir(), reason="the shared data folder is absent"
)


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@needs_data
def test_attribution_speed(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--models", "tiny-causal", "tiny-seq2seq", "--tasks", "svamp", "--n", "2", "--ig-n", "1"]
    script("attribution_speed").main(
        [*args, "--ig-steps", "2", "--batch-size", "2", "--ig-internal-batch", "2"]
    )
    printed = capsys.readouterr().out
    for tool in ("tokendistill", "captum", "inseq", "floor"):
        assert f"| {tool} |" in printed
    assert "## Attribution speed" in printed


@needs_data
def test_memory(capsys: pytest.CaptureFixture[str]) -> None:
    script("memory").main(
        ["--model", "tiny-causal", "--batch", "2", "--train-batch", "2", "--kd-positions", "64"]
    )
    printed = capsys.readouterr().out
    assert "| attribution | fp32 |" in printed and "| training | LoRA bf16 + checkpointing |" in printed
    assert "| kd-term | chunked (512 positions) |" in printed and "chunked KD term:" in printed
    assert "bf16 vs fp32 saliency" in printed


@needs_data
def test_training_run(tmp_path: Path) -> None:
    args = ["--model", "tiny-seq2seq", "--train-rows", "16", "--valid-rows", "8", "--test-rows", "8"]
    figures = script("training_run").main(
        [*args, "--batch-size", "8", "--eval-steps", "2", "--output-dir", str(tmp_path)]
    )
    assert figures["optimizer_steps"] == 2 and figures["test_rows"] == 8
    assert json.loads((tmp_path / "benchmark.json").read_text())["model"] == "tiny-seq2seq"


def test_integrity_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "weights.bin").write_bytes(bytes(range(256)) * 4096)
    (tmp_path / "config.json").write_text("{}")
    script("integrity_cost").main(["--folder", str(tmp_path), "--repeat", "1"])
    assert "checksum check / plain read:" in capsys.readouterr().out


@pytest.mark.processes
def test_process_scaling(tmp_path: Path) -> None:
    """One tiny synthetic run on one process and on two (accelerate launch)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pipeline.helpers import small_config

    config = small_config(tmp_path / "unused")
    config["students"] = config["students"][:1]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    table = script("process_scaling").main(["--config", str(path), "--run-root", str(tmp_path / "runs")])
    assert table.splitlines()[0] == "| stage | 1 process (s) | 2 processes (s) | ratio |"
    assert "| whole command (wall) |" in table and "| students/standard-seed0 |" in table


def test_guided_cost(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model", "tiny-causal", "--task", "synthetic", "--batch", "4", "--steps", "1", "--k", "2"]
    figures = script("guided_cost").main(args)
    assert set(figures) == {"standard", "guided-consistency", "guided-gradient", "guided-matching"}
    assert "| guided-matching |" in capsys.readouterr().out


@pytest.mark.parametrize("model", ["tiny-causal", "tiny-seq2seq"])
def test_answer_scoring(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model", model, "--prompt-format", "plain", "--task", "synthetic", "--n", "4"]
    figures = script("answer_scoring").main([*args, "--batch-size", "2", "--repeat", "1"])
    assert figures["gap"] < 1e-4  # the shared prompt stands for the pairs
    assert "| shared prompt |" in capsys.readouterr().out


@pytest.mark.parametrize("model", ["tiny-causal", "tiny-seq2seq"])
def test_step_overhead(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model", model, "--task", "synthetic", "--rows", "8", "--batch-size", "4", "--steps", "2"]
    figures = script("step_overhead").main([*args, "--repeat", "1", "--group-by-length"])
    assert figures["plain"] > 0 and figures["ours"] > 0 and 0 <= figures["padding"] < 1
    assert "| plain transformers.Trainer |" in capsys.readouterr().out


def test_ddp_unused(capsys: pytest.CaptureFixture[str]) -> None:
    """Two launched processes train both ways; rank 0's figures come back."""
    args = ["--model", "tiny-seq2seq", "--task", "synthetic", "--rows", "8", "--batch-size", "4"]
    medians = script("ddp_unused").main([*args, "--steps", "2", "--repeat", "1"])
    assert set(medians) == {"probed (no search)", "search forced"} and min(medians.values()) > 0
    assert "| search forced |" in capsys.readouterr().out


def test_padding(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--tasks",
        "synthetic",
        "--models",
        "tiny-causal",
        "tiny-seq2seq",
        "--rows",
        "40",
        "--batch-size",
        "4",
    ]
    figures = script("padding").main(args)
    assert all(0 <= grouped <= shuffled < 1 for shuffled, grouped in figures.values())
    assert "| synthetic | tiny-seq2seq |" in capsys.readouterr().out


@needs_data
def test_teacher_cache(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--model", "tiny-causal", "--student", "tiny-seq2seq", "--rows", "8", "--top-k", "4", "700"]
    rows = script("teacher_cache").main(args)
    assert [r["k"] for r in rows] == [4, 700] and rows[0]["bytes_per_token"] > 0
    assert all(0 < r["aligned"] <= 1 and 0 < r["matched"] <= 1 + 1e-6 for r in rows)
    assert rows[1]["tail_mass"] == 0 and abs(rows[1]["kl"]) < 1e-3  # the whole vocabulary: only float16
    assert "## The teacher cache" in capsys.readouterr().out
