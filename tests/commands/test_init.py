"""``tokendistill init``: starter configs that ``validate`` accepts and ``run`` completes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tokendistill.cli import app

GOOD = ["great", "lovely", "wonderful", "excellent", "superb"]
BAD = ["awful", "terrible", "boring", "dreadful", "poor"]
TINY = ["--teacher", "tiny-causal", "--student", "tiny-causal"]
# The written config as it is, on models and analyses small enough for seconds.
SMALL = [
    "--threads", "1", "--set", "seeds=[0]",
    "--set", "teacher.model.tiny_size=32", "--set", "teacher.model.tiny_layers=1",
    "--set", "student_model.tiny_size=32", "--set", "student_model.tiny_layers=1",
    "--set", "analysis.faithfulness_examples=4", "--set", "analysis.k_sweep=[1,3]",
    "--set", "analysis.heatmaps=1", "--set", "analysis.aopc_bins=[]",
]  # fmt: skip


def reviews(n: int = 40) -> list[dict[str, str]]:
    return [
        {
            "id": f"r{i}",
            "review": f"the film was {(GOOD if i % 2 else BAD)[i % 5]}, the cast {GOOD[i * 3 % 5]} too",
            "title": f"movie {i}",
            "verdict": "positive" if i % 2 else "negative",
        }
        for i in range(n)
    ]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {"question": r["review"], "options": ["positive", "negative"], "answer": r["verdict"]} for r in rows
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # the written paths are relative, as a user's would be
    return CliRunner()


def init(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(app, ["init", *args])
    assert result.exit_code == 0, result.output
    return yaml.safe_load(Path(args[args.index("--out") + 1]).read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_init_on_a_data_file_writes_a_config_that_validates_and_runs(runner: CliRunner, kind: str) -> None:
    writer = write_csv if kind == "csv" else write_jsonl
    writer(Path("data") / f"reviews.{kind}", reviews())
    config = init(runner, "--data", f"data/reviews.{kind}", "--out", "my.yaml", "--yes", *TINY)
    custom = config["task"]["custom"]
    assert config["task"]["data_dir"] == "data" and custom["train_file"] == f"reviews.{kind}"
    assert custom["test_fraction"] == 0.1
    if kind == "csv":  # no column is named like a label: the last one, asking nothing under --yes
        assert custom["label_field"] == "verdict" and custom["id_field"] == "id"
        assert custom["input_template"] == "Review: {review}\nTitle: {title}"
        assert custom["label_set"] == ["negative", "positive"] and custom["metric"] == "exact_match"
    else:
        assert custom["label_field"] == "answer" and custom["input_template"] == "{question}"
        assert custom["choices_field"] == "options" and custom["metric"] == "choice"
    assert config["teacher"]["training"]["eval_mode"] == "rank"
    validated = runner.invoke(app, ["validate", "my.yaml"])
    assert validated.exit_code == 0, validated.output
    ran = runner.invoke(app, ["run", "my.yaml", *SMALL])
    assert ran.exit_code == 0, ran.output
    assert Path("runs/reviews/report.html").is_file()


def test_init_lists_the_columns_and_what_it_proposes(runner: CliRunner) -> None:
    write_csv(Path("data/reviews.csv"), reviews())
    result = runner.invoke(
        app, ["init", "--data", "data/reviews.csv", "--out", "my.yaml", "--label-field", "verdict"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "data/reviews.csv: 40 rows; columns: id, review, title, verdict"
    assert "  label field: verdict (2 labels: negative, positive)" in lines
    assert lines[-1] == "written: my.yaml; check it with: tokendistill validate my.yaml"


def test_init_takes_the_split_files_next_to_a_train_file_and_the_given_fields(runner: CliRunner) -> None:
    for split in ("train", "dev", "test"):
        write_csv(Path(f"data/{split}.csv"), reviews(12))
    config = init(
        runner, "--data", "data/train.csv", "--out", "my.yaml", "--input-fields", "review", "--name", "mine"
    )
    assert config["task"]["name"] == "mine" and config["run_dir"] == "runs/mine"
    custom = config["task"]["custom"]
    assert (custom["train_file"], custom["valid_file"], custom["test_file"]) == (
        "train.csv",
        "dev.csv",
        "test.csv",
    )
    assert "test_fraction" not in custom and custom["input_template"] == "{review}"


def test_init_for_a_built_in_task(runner: CliRunner) -> None:
    config = init(runner, "--task", "synthetic", "--out", "synthetic.yaml", *TINY)
    assert config["task"] == {"name": "synthetic"} and config["run_dir"] == "runs/synthetic"
    result = runner.invoke(app, ["validate", "synthetic.yaml"])
    assert result.exit_code == 0, result.output


def test_init_defaults_to_the_packaged_offline_models(runner: CliRunner) -> None:
    config = init(runner, "--task", "esnli", "--out", "esnli.yaml")
    assert config["teacher"]["model"] == {"name": "smollm2-135m"}
    assert config["student_model"] == {"name": "minilm-encdec"}
    assert config["student_training"]["eval_mode"] == "rank"  # NLI has a label set


def test_init_refuses_to_overwrite_without_force(runner: CliRunner) -> None:
    Path("my.yaml").write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["init", "--task", "synthetic", "--out", "my.yaml"])
    assert result.exit_code == 2
    assert result.stderr == "error: my.yaml: already exists; give --force to overwrite it\n"
    assert Path("my.yaml").read_text(encoding="utf-8") == "mine\n"
    assert init(runner, "--task", "synthetic", "--out", "my.yaml", "--force")["task"] == {"name": "synthetic"}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], "error: give --task NAME (a built-in task) or --data FILE (your data), one of them"),
        (
            ["--data", "data/reviews.csv", "--label-field", "stars"],
            "error: data/reviews.csv: no column 'stars' (columns: id, review, title, verdict)",
        ),
        (["--task", "nope"], "error: --task 'nope' is not a built-in task (tokendistill tasks: "),
        (["--data", "data/absent.csv"], "error: data/absent.csv: file not found"),
    ],
)
def test_init_errors_are_one_line(runner: CliRunner, args: list[str], error: str) -> None:
    write_csv(Path("data/reviews.csv"), reviews())
    result = runner.invoke(app, ["init", *args, "--out", "my.yaml"])
    assert result.exit_code == 2
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1, result.stderr
    assert not Path("my.yaml").exists()
