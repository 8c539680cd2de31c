"""The `tokendistill` command line, in process (typer's CliRunner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokendistill.attribution import list_methods
from tokendistill.cli import app
from tokendistill.tasks import list_tasks

DEMO = Path(__file__).resolve().parents[1] / "src" / "tokendistill" / "demo.yaml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_demo(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(DEMO)])
    assert result.exit_code == 0, result.output
    # The student list is printed as text, not swallowed as console markup.
    text = " ".join(result.stdout.split())
    assert "valid: task synthetic, teacher tiny-causal" in text
    assert "[standard, distill, ours-saliency, ours-ig, random-k] × seeds [0]" in text


def test_validate_with_overrides(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", str(DEMO), "--set", "seeds=[1, 2]", "--set", "students=[{name: a, mode: standard}]"]
    )
    assert result.exit_code == 0, result.output
    assert "students [a] × seeds [1, 2]" in " ".join(result.stdout.split())


def test_validate_reports_a_bad_config_in_one_line_per_problem(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(DEMO), "--set", "selection.unit=sentence"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: invalid config:",
        f"  {DEMO}, from --set: selection.unit: Input should be 'token' or 'word'",
    ]
    assert "Traceback" not in result.output


def test_validate_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'none.yaml'}: config file not found\n"


def test_tasks(runner: CliRunner) -> None:
    result = runner.invoke(app, ["tasks"])
    assert result.exit_code == 0
    assert result.stdout.split() == list_tasks()
    assert {"anli1", "cqa", "esnli", "svamp", "synthetic"} <= set(list_tasks())


def test_methods(runner: CliRunner) -> None:
    result = runner.invoke(app, ["methods"])
    assert result.exit_code == 0
    assert result.stdout.split() == list_methods()
    assert {"saliency", "integrated_gradients", "random"} <= set(list_methods())


def test_show_task_synthetic(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show-task", "synthetic"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("synthetic: train 800, valid 100, test 200\n")
    assert "example synthetic/train/0 → label" in result.stdout


def test_show_task_unknown(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show-task", "nope"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_every_stage_is_a_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "validate", "prepare", "teacher", "attribute", "students", "demo", "analyze"):
        assert command in result.stdout


def test_analyze_prints_the_overlap_table_and_writes_json(runner: CliRunner, tmp_path: Path) -> None:
    import json

    from tokendistill.attribution.result import TokenAttribution
    from tokendistill.attribution.store import write_attributions

    def record(i: int, gold: str, right: bool) -> TokenAttribution:
        text = "which pet barks : dog or cat"
        words = [(w, text.index(w)) for w in ("which", "pet", "barks", "dog", "or", "cat")]
        scores = [0.1, 0.2, 0.3, 0.9 if right else 0.0, 0.05, 0.4]
        return TokenAttribution(
            example_id=str(i),
            split="train",
            text=text,
            tokens=[w for w, _ in words],
            offsets=[(s, s + len(w)) for w, s in words],
            content=[True] * 6,
            scores=scores,
            target=gold,
            teacher_answer=gold,
            gold=gold,
            teacher_correct=right,
        )

    path = write_attributions(
        tmp_path / "a.parquet", [record(0, "dog", True), record(1, "dog", False)], {"method": "saliency"}
    )
    out = tmp_path / "table.json"
    result = runner.invoke(app, ["analyze", str(path), "--k", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "gold-answer overlap" in result.stdout and "saliency" in result.stdout
    rows = json.loads(out.read_text())["rows"]
    by_k = {row["k"]: row for row in rows}
    assert by_k[1]["overlap"] == 0.5 and by_k[1]["overlap_right"] == 1.0 and by_k[1]["overlap_wrong"] == 0.0
    assert by_k[4]["overlap"] == 1.0
