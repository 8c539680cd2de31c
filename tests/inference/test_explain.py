"""``explain`` on the demo's teacher: the same scores as the pipeline's attribution artifact,
and a self-contained HTML page; students are explained behind their mode's prompt."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from demo_models import student_entry
from tokendistill.attribution.store import read_attributions
from tokendistill.cli import app
from tokendistill.errors import DeployError
from tokendistill.inference.explain import attribute_inputs, explain
from tokendistill.inference.inputs import InputFields
from tokendistill.kept.manifest import read_manifest
from tokendistill.tasks import load_task
from tokendistill.training.modes.multitask import PREDICT_PREFIX
from tolerances import BATCHING, assert_close

N_INPUTS = 10


@pytest.fixture(scope="module")
def inputs(demo_run: Path, demo_index: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first training examples as a JSONL file of plain texts with ids and labels."""
    _, data = load_task(read_manifest(demo_run / demo_index["teacher"]).task)
    path = tmp_path_factory.mktemp("explain") / "inputs.jsonl"
    rows = [{"id": ex.id, "sentence": ex.text, "label": ex.label} for ex in data.train[:N_INPUTS]]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def explained(demo_run: Path, demo_index: dict[str, Any], inputs: Path) -> Path:
    out = inputs.parent / "teacher"
    args = [
        "explain",
        str(demo_run / demo_index["teacher"]),
        "--input",
        str(inputs),
        "--text-field",
        "sentence",
    ]
    args += ["--label-field", "label", "--method", "saliency", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_scores_equal_the_pipelines_attribution(demo_run: Path, explained: Path) -> None:
    records, meta = read_attributions(explained / "attributions.parquet")
    (pipeline_artifact,) = glob.glob(
        str(demo_run / "attribute" / "saliency-train-*" / "attributions.parquet")
    )
    reference = {r.example_id: r for r in read_attributions(pipeline_artifact)[0]}
    assert len(records) == N_INPUTS and meta["method"] == "saliency"
    for record in records:
        ref = reference[record.example_id]
        assert (record.text, record.tokens, record.offsets, record.content) == (
            ref.text,
            ref.tokens,
            ref.offsets,
            ref.content,
        )
        assert (record.target, record.teacher_answer, record.gold) == (
            ref.target,
            ref.teacher_answer,
            ref.gold,
        )
        # The batches hold other examples than the pipeline's.
        assert_close(record.scores, ref.scores, BATCHING, f"scores of {record.example_id}")


def test_the_page_is_self_contained_with_one_heatmap_per_input(explained: Path) -> None:
    page = (explained / "explain.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('class="heat"') == N_INPUTS
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page loads something"
    records, _ = read_attributions(explained / "attributions.parquet")
    assert all(f"<h2>{r.example_id}</h2>" in page for r in records)
    assert page.count('class="sel"') > 0


def test_in_memory_attribution_equals_the_artifact(
    demo_run: Path, demo_index: dict[str, Any], inputs: Path, explained: Path
) -> None:
    fields = InputFields(text="sentence", label="label")
    records = attribute_inputs(demo_run / demo_index["teacher"], inputs, fields=fields)
    stored, _ = read_attributions(explained / "attributions.parquet")
    assert [r.scores for r in records] == [r.scores for r in stored]


def test_a_target_field_is_forced(demo_run: Path, demo_index: dict[str, Any], inputs: Path) -> None:
    fields = InputFields(text="sentence", label="label", target="label")
    records = attribute_inputs(demo_run / demo_index["teacher"], inputs, fields=fields)
    rows = [json.loads(line) for line in inputs.read_text().splitlines()]
    assert [r.target for r in records] == [row["label"] for row in rows]


def test_a_student_is_explained_behind_its_prompt(
    demo_run: Path, demo_index: dict[str, Any], tmp_path: Path
) -> None:
    folder = demo_run / student_entry(demo_index, "ours-saliency")["model"]
    result = explain(
        folder, ["the cat was here today", "a red one"], out_dir=tmp_path, method="input_x_gradient"
    )
    first = result.records[0]
    assert first.text == PREDICT_PREFIX + "the cat was here today"
    template = [
        c for (start, _), c in zip(first.offsets, first.content, strict=True) if start < len(PREDICT_PREFIX)
    ]
    assert template and not any(template)
    assert all(r.teacher_answer in read_manifest(folder).label_set for r in result.records)
    assert (tmp_path / "explain.html").is_file() and not list(tmp_path.glob(".*work"))


def test_bad_requests_fail_in_one_line(demo_run: Path, demo_index: dict[str, Any], tmp_path: Path) -> None:
    teacher = demo_run / demo_index["teacher"]
    with pytest.raises(DeployError, match="unknown attribution method 'nope'"):
        attribute_inputs(teacher, ["a b"], method="nope")
    with pytest.raises(DeployError, match="'x' is used twice"):
        attribute_inputs(
            teacher, [{"id": "x", "text": "a"}, {"id": "x", "text": "b"}], fields=InputFields(text="text")
        )
    with pytest.raises(DeployError, match="no target in field 'answer'"):
        attribute_inputs(teacher, ["a b"], fields=InputFields(target="answer"))
    result = CliRunner().invoke(app, ["explain", "no-such-model", "--input", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2 and result.stderr.startswith("error: unknown model 'no-such-model'")
    assert len(result.stderr.strip().splitlines()) == 1
