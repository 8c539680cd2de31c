"""The config reference: generated from the models, checked in under docs/, named by presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tokendistill.cli import app
from tokendistill.config import Config
from tokendistill.rationales.config import SelectionConfig
from tokendistill.reference import (
    REFERENCE_FILE,
    SCHEMA_FILES,
    config_reference,
    documented_models,
    reference_files,
)
from tokendistill.sweep.config import SweepConfig

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
REGENERATE = "regenerate them with `make docs` (or `python -m tokendistill.reference docs`)"
SCHEMA_LINE = "# yaml-language-server: $schema="
PRESETS = sorted(
    [p for p in (REPO / "configs").rglob("*.yaml") if p.parent.name != "accelerate"]
    + [REPO / "src" / "tokendistill" / "demo.yaml"]
)


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return reference_files()


@pytest.mark.parametrize("name", [REFERENCE_FILE, *SCHEMA_FILES])
def test_the_checked_in_reference_is_what_the_models_give(name: str, generated: dict[str, str]) -> None:
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing: {REGENERATE}"
    assert path.read_text(encoding="utf-8") == generated[name], (
        f"docs/{name} differs from the config models: {REGENERATE}"
    )


def test_every_key_has_a_one_line_meaning() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in documented_models()
        for name, info in model.model_fields.items()
        if not info.description or "\n" in info.description
    ]
    assert not missing, f"give these fields a one-line Field(description=...): {missing}"


def test_the_reference_reads_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    info = SelectionConfig.model_fields["k"]
    monkeypatch.setattr(info, "description", "a meaning only this test gives")
    row = next(line for line in config_reference().splitlines() if "a meaning only this test gives" in line)
    assert row == "| `k` | integer | `5` | ≥ 1, ≤ 64 | a meaning only this test gives |"


def test_the_reference_lists_mode_and_source_options() -> None:
    text = config_reference()
    for heading in (
        "### `students[]` with mode `multitask`",
        "### `students[]` with mode `kd-multitask`",
        "### `students[].rationale` with source `generate`",
        "### `teacher.model`, `student_model`, `students[].rationale.model`",
    ):
        assert heading in text
    assert '| `choices_delimiter` | text | `"\\|"` | length ≥ 1 |' in text  # a | escaped in a table cell


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: str(p.relative_to(REPO)))
def test_presets_name_the_schema_of_their_kind(preset: Path) -> None:
    first = preset.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), f"{preset.name}: the first line should be {SCHEMA_LINE}<schema>"
    is_sweep = "axes" in yaml.safe_load(preset.read_text(encoding="utf-8"))
    expected = DOCS / ("sweep.schema.json" if is_sweep else "config.schema.json")
    assert (preset.parent / first.removeprefix(SCHEMA_LINE)).resolve() == expected


@pytest.mark.parametrize(("args", "model"), [([], Config), (["--sweep"], SweepConfig)])
def test_schema_command_prints_the_models_schema(args: list[str], model: type) -> None:
    result = CliRunner().invoke(app, ["schema", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == model.model_json_schema()
