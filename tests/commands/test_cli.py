"""The `tokendistill` command line, in process (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokendistill.attribution import list_methods
from tokendistill.cli import app
from tokendistill.rationales.sources import list_sources
from tokendistill.tasks import list_tasks
from tokendistill.training.modes import list_modes

DEMO = Path(__file__).resolve().parents[2] / "src" / "tokendistill" / "demo.yaml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_demo(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(DEMO)])
    assert result.exit_code == 0, result.output
    # The student list is printed as text, not swallowed as console markup.
    text = " ".join(result.stdout.split())
    assert "valid: task synthetic, teacher tiny-causal" in text
    assert "[standard, ours-saliency, random-k, oracle, matching, matching-random] × seeds [0, 1, 2]" in text


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
        f"error: invalid config: {DEMO}, from --set: selection.unit: Input should be 'token' or 'word'",
    ]
    two = runner.invoke(app, ["validate", str(DEMO), "--set", "selection.unit=sentence", "--set", "seeds=[]"])
    assert two.stderr.splitlines() == [
        "error: invalid config:",
        f"  {DEMO}, from --set: seeds: List should have at least 1 item after validation, not 0",
        f"  {DEMO}, from --set: selection.unit: Input should be 'token' or 'word'",
    ]
    assert "Traceback" not in result.output + two.output


def test_validate_rejects_a_bad_model_spec_before_running_anything(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", str(DEMO), "--set", 'student_model={name: "smollm2-135m:layers=x"}']
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: invalid config: {DEMO}, from --set student_model: student_model.name: "
        "bad layer cut ':layers=x'"
    )
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
    assert [line.split()[0] for line in result.stdout.splitlines()] == list_methods()
    assert "control: a random score per token" in result.stdout
    assert {"saliency", "integrated_gradients", "random"} <= set(list_methods())


@pytest.mark.parametrize(
    ("command", "names"), [("modes", list_modes), ("sources", list_sources)], ids=["modes", "sources"]
)
def test_registries_are_listed(runner: CliRunner, command: str, names) -> None:
    result = runner.invoke(app, [command])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == names()


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


def test_threads_option_sets_torchs_threads(runner: CliRunner, tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        result = runner.invoke(app, ["prepare", str(DEMO), "--threads", "3", "--set", f"run_dir={tmp_path}"])
        assert result.exit_code == 0, result.output
        assert torch.get_num_threads() == 3  # neither torch's default here nor OMP_NUM_THREADS=1
    finally:
        torch.set_num_threads(before)
    bad = runner.invoke(app, ["run", str(DEMO), "--threads", "0"])
    assert bad.exit_code == 2 and "--threads" in bad.output


def _pets_artifact(path: Path) -> Path:
    """Two examples, gold "dog": the teacher is right on the first, whose top word is "dog";
    on the second "dog" scores lowest, behind the stopwords "which" and "or"."""
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

    return write_attributions(path, [record(0, "dog", True), record(1, "dog", False)], {"method": "saliency"})


def test_analyze_prints_the_overlap_table_and_writes_json(runner: CliRunner, tmp_path: Path) -> None:
    import json

    path = _pets_artifact(tmp_path / "a.parquet")
    out = tmp_path / "analysis.json"
    result = runner.invoke(app, ["analyze", str(path), "--k", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "gold-answer overlap at k=1" in result.stdout and "saliency" in result.stdout
    doc = json.loads(out.read_text())
    (row,) = doc["overlap"]
    assert (
        row["k"] == 1
        and row["overlap"] == 0.5
        and row["teacher right"] == 1.0
        and row["teacher wrong"] == 0.0
    )
    # The pipeline's defaults keep stopwords: "dog" is the 6th word of the second example.
    assert doc["k_sweep"]["saliency"]["5"] == 0.5 and doc["k_sweep"]["saliency"]["6"] == 1.0
    assert doc["evidence"] == [] and doc["faithfulness"] == []


def test_analyze_uses_the_pipelines_selection_defaults(runner: CliRunner, tmp_path: Path) -> None:
    """Without a config, `analyze` selects as `run` does by default (punctuation filter only,
    input order), not with other defaults of its own."""
    from tokendistill.attribution.store import read_attributions
    from tokendistill.rationales.analysis import analyze_records
    from tokendistill.rationales.analysis.config import AnalysisConfig
    from tokendistill.rationales.config import SelectionConfig
    from tokendistill.rationales.select import Selection

    path = _pets_artifact(tmp_path / "a.parquet")
    out = tmp_path / "analysis.json"
    assert runner.invoke(app, ["analyze", str(path), "--out", str(out)]).exit_code == 0
    records, _ = read_attributions(path)
    analysis = AnalysisConfig()
    expected = analyze_records(
        {"saliency": records}, Selection(SelectionConfig()), SelectionConfig().k, analysis.k_sweep, {}, 0
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(expected.to_json()))


def test_analyze_prints_the_reports_numbers_for_the_demo(
    runner: CliRunner, demo_run: Path, demo_config, tmp_path: Path
) -> None:
    """With the run's config, `analyze` on one artifact prints the demo report's overlap and
    evidence figures at k = 2 (the demo's selection.k) and its k-sweep."""
    (artifact,) = demo_run.glob("attribute/saliency-train-*/attributions.parquet")
    config = tmp_path / "demo.yaml"
    config.write_text(json.dumps(demo_config(demo_run)), encoding="utf-8")  # JSON is YAML
    args = ["analyze", str(artifact), "--k", "2", "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((demo_run / "metrics.json").read_text())
    printed = _printed_values(result.stdout)
    (overlap,) = [r for r in metrics["overlap"] if r["method"] == "saliency"]
    (evidence,) = [r for r in metrics["evidence"] if r["method"] == "saliency"]
    assert overlap["k"] == evidence["k"] == 2
    for row in (overlap, evidence):
        for header, value in row.items():
            assert header in printed, header
            assert printed[header] == _cell(value), header
    sweep = _sweep_rows(result.stdout)
    assert sweep == {
        k: [
            _cell(metrics["k_sweep"]["saliency"][k]),
            _cell(metrics["evidence_sweep"]["saliency"][k]),
            _cell(metrics["evidence_sweep"]["chance (random-k)"][k]),
        ]
        for k in metrics["k_sweep"]["saliency"]
    }


def _cell(value) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _printed_values(stdout: str) -> dict[str, str]:
    """ "column │ value" lines of the printed row tables (the last occurrence wins)."""
    out = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2:
            out[cells[0]] = cells[1]
    return out


def _sweep_rows(stdout: str) -> dict[str, list[str]]:
    """k -> the other cells of the printed k-sweep table."""
    rows = {}
    for line in stdout.split("against k", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 4 and cells[0].isdigit():
            rows[cells[0]] = cells[1:]
    return rows


def test_analyze_refuses_what_is_not_an_artifact(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["analyze", str(tmp_path / "none.parquet")])
    assert missing.exit_code == 2
    assert missing.stderr == f"error: {tmp_path / 'none.parquet'}: file not found\n"
    text = tmp_path / "notes.txt"
    text.write_text("not parquet\n")
    wrong = runner.invoke(app, ["analyze", str(text)])
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
    assert len(wrong.stderr.splitlines()) == 1
    assert wrong.stderr.startswith(f"error: {text}: not an attribution Parquet file")


def test_analyze_set_needs_a_config(runner: CliRunner, tmp_path: Path) -> None:
    path = _pets_artifact(tmp_path / "a.parquet")
    result = runner.invoke(app, ["analyze", str(path), "--set", "selection.k=3"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --set overrides keys of a config")


def test_profile_shows_where_each_training_stage_spent_its_time(runner: CliRunner, demo_run: Path) -> None:
    metrics = json.loads((demo_run / "metrics.json").read_text())
    training = [label for label in metrics["stage_seconds"] if label.split("/")[0] in ("teacher", "students")]
    assert sorted(metrics["stage_profiles"]) == sorted(training)
    result = runner.invoke(app, ["profile", str(demo_run)])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 5}
    assert set(rows) == set(metrics["stage_seconds"])
    for label in training:
        cells = [c.strip() for c in rows[label].split("│")[2:-1]]
        shares = [float(c) for c in cells[1:9]]  # the parts, then padding
        assert sum(shares[:7]) == pytest.approx(100, abs=0.5) and 0 < shares[7] < 100
    assert "Training time (" in result.stdout and "of computed tokens" in result.stdout
    assert "fwd+bwd %" in (demo_run / "report.html").read_text()


def test_profile_refuses_a_folder_without_a_run(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", str(tmp_path)])
    assert result.exit_code == 2 and f"{tmp_path / 'metrics.json'}: not found" in result.output
    (tmp_path / "metrics.json").write_text("[1, 2]")
    result = runner.invoke(app, ["profile", str(tmp_path)])
    assert result.exit_code == 2 and "not a run's metrics.json" in result.output
