"""A new rationale source or student mode is one class plus one registration, in user code:
nothing in src/ names it, yet config validation, the pipeline and the report pick it up; a
mode brings its own options and its own loss terms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from pydantic import Field, ValidationError

from tokendistill.config import StudentConfig
from tokendistill.rationales.sources import RationaleSource, SourceRequest, register_source, unregister_source
from tokendistill.tasks.example import Example
from tokendistill.training.modes import ModeOptions, StudentMode, TermInputs, register_mode, unregister_mode
from tokendistill.training.modes.standard import Standard
from tokendistill.training.rows import TASK_LABEL, TrainingRow
from tokendistill.training.terms import LossTerm, StepBatch, TaskCrossEntropy

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

    def rows(
        self, example: Example, label: str, rationale: str | None, options: ModeOptions
    ) -> list[TrainingRow]:
        return [TrainingRow(example.id, self.prompt(example), label, 1.0, TASK_LABEL)]


class LogitPenalty(LossTerm):
    """``weight`` x the mean squared logit at the label rows' target tokens."""

    name = "l2"

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def __call__(self, batch: StepBatch) -> torch.Tensor:
        mask = batch.inputs["target_mask"] * (batch.inputs["row_task"] == TASK_LABEL)[:, None]
        squares = batch.logits.float().pow(2).mean(-1)  # [B, T]
        return self.weight * (squares * mask).sum() / mask.sum().clamp(min=1)


class PenaltyOptions(ModeOptions):
    l2: float = Field(0.01, ge=0.0)


class Penalised(Standard):
    """``standard`` plus an L2 penalty on the label logits: a mode with an option and a loss
    term of its own, defined here alone."""

    name = "penalised"
    options_model = PenaltyOptions

    def loss_terms(self, options: PenaltyOptions, inputs: TermInputs) -> list[LossTerm]:
        return [TaskCrossEntropy(), LogitPenalty(options.l2)]

    def describe(self, options: PenaltyOptions) -> str:
        return f"L2 on the label logits × {options.l2:g}"


@pytest.fixture
def plugins() -> Iterator[None]:
    register_source(FirstWords())
    register_mode(Shouted())
    register_mode(Penalised())
    yield
    unregister_source(FirstWords.name)
    unregister_mode(Shouted.name)
    unregister_mode(Penalised.name)


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


def test_a_mode_with_its_own_loss_term_trains_logs_and_reports_it(plugins: None, tmp_path: Path) -> None:
    config = small_config(tmp_path / "run")
    config["student_training"]["logging_steps"] = 1
    config["students"] = [{"name": "pen", "mode": "penalised", "l2": 0.05}]
    result, _ = run_in_process(config)

    (artifact,) = result.run_dir.glob("students/pen-seed0-*")
    history = json.loads((artifact / "metrics.json").read_text())["loss_history"]
    assert len(history) == 8 and all(h["loss_l2"] > 0 for h in history)
    for h in history:  # the step's loss is the cross-entropy plus the term (both logged rounded)
        assert h["loss"] == pytest.approx(h["loss_label"] + h["loss_l2"], abs=2e-4)
    assert json.loads((artifact / "metrics.json").read_text())["config"]["l2"] == 0.05
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert [p[1] for p in metrics["curves"]["pen (seed 0)"]["term:l2"]] == [h["loss_l2"] for h in history]
    (student,) = metrics["students"]
    assert student["detail"] == "gold labels; L2 on the label logits × 0.05"
    page = (result.run_dir / "report.html").read_text()
    assert "<h3>Loss terms</h3>" in page and "<td>l2</td>" in page


def test_a_modes_options_are_validated_by_the_mode(plugins: None, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"l2\n  Input should be greater than or equal to 0"):
        StudentConfig.model_validate({"name": "pen", "mode": "penalised", "l2": -1})
    with pytest.raises(ValidationError, match="`l2` does not apply to mode 'standard'; modes that take it"):
        StudentConfig.model_validate({"name": "pen", "mode": "standard", "l2": 1})
