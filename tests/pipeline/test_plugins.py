"""A new rationale source or student mode is one class plus one registration, in user code:
nothing in src/ names it, yet config validation, the pipeline and the report pick it up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokendistill.rationales.sources import RationaleSource, SourceRequest, register_source, unregister_source
from tokendistill.tasks.example import Example
from tokendistill.training.modes import register_mode, unregister_mode
from tokendistill.training.modes.base import StudentMode
from tokendistill.training.rows import TASK_LABEL, TrainingRow

from .helpers import run_in_process, small_config


class FirstWords(RationaleSource):
    """The first k content words of the input: a positional baseline."""

    name = "first-words"

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        out = {}
        for example in request.examples:
            words = " ".join(example.text[s:e] for s, e in example.content_spans).split()
            out[example.id] = " ".join(words[: request.k])
        return out


class Shouted(StudentMode):
    """The label task with the input in capitals (a mode with its own prompt)."""

    name = "shouted"

    def prompt(self, example: Example, rationale: str | None = None) -> str:
        return example.text.upper()

    def rows(self, example: Example, label: str, rationale: str | None, alpha: float) -> list[TrainingRow]:
        return [TrainingRow(example.id, self.prompt(example), label, 1.0, TASK_LABEL)]


@pytest.fixture
def plugins() -> Iterator[None]:
    register_source(FirstWords())
    register_mode(Shouted())
    yield
    unregister_source(FirstWords.name)
    unregister_mode(Shouted.name)


def test_a_source_and_a_mode_registered_outside_src_run_through_the_pipeline(
    plugins: None, tmp_path: Path
) -> None:
    config = small_config(tmp_path / "run")
    config["students"] = [
        {"name": "first", "mode": "multitask", "rationale": {"source": "first-words", "k": 2}},
        {"name": "loud", "mode": "shouted"},
    ]
    result, _ = run_in_process(config)

    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert [s["name"] for s in metrics["students"]] == ["first", "loud"]
    (artifact,) = result.run_dir.glob("students/first-seed0-*")
    rationales = json.loads((artifact / "rationales.json").read_text())
    assert len(rationales) == 32 and all(len(text.split()) == 2 for text in rationales.values())
    assert "first-words, k=2" in (result.run_dir / "report.html").read_text()
