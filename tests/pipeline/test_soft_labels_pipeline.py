"""Soft-label students through the pipeline: the teacher's distributions are one artifact,
computed once and read by every soft-label student and seed, and the cross-tokenizer mode
(distributions over the answer choices) trains a student whose vocabulary is not the
teacher's."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .helpers import N_TRAIN, run_in_process, small_config

KD = {"name": "kd", "mode": "kd"}
KD_HARD = {"name": "kd-jsd", "mode": "kd", "soft_labels": {"weight": 1.0, "temperature": 1.0, "beta": 0.5}}


@pytest.fixture
def scored(monkeypatch) -> list[int]:
    """The size of every batch of prompts the live teacher scores on-policy, in order."""
    import tokendistill.training.on_policy as on_policy

    calls: list[int] = []
    original = on_policy.teacher_targets

    def counted(adapter, settings, prompts, wanted, batch_size):
        calls.append(len(prompts))
        return original(adapter, settings, prompts, wanted, batch_size)

    monkeypatch.setattr(on_policy, "teacher_targets", counted)
    return calls


def _config(run_dir: Path, students: list[dict]) -> dict:
    config = small_config(run_dir)
    config["attribution"]["methods"] = ["random"]
    config["analysis"]["faithfulness_examples"] = 0
    config["students"] = students
    return config


def test_the_teachers_distributions_are_computed_once_for_every_student_and_seed(tmp_path: Path) -> None:
    config = _config(tmp_path / "run", [KD])
    config["seeds"] = [0, 1]
    result, _ = run_in_process(config)

    assert [label for label in result.computed if label.startswith("distributions/")] == [
        "distributions/vocabulary-train"
    ]
    assert "distributions/vocabulary-train" in result.skipped  # the second seed reads them back
    (artifact,) = (result.run_dir / "distributions").glob("vocabulary-train-*")
    table = pq.read_table(artifact / "distributions.parquet")
    assert table.num_rows == N_TRAIN and len(table.column("top_ids")[0][0]) == 20
    assert table.schema.metadata[b"tokendistill.over"] == b"vocabulary"
    # The compact cache: top-k log-probabilities in float16, and per answer token the mass of
    # the rest of the vocabulary (top 20 of 600 tokens: a tail, below probability 1).
    assert table.schema.field("top_logprobs").type.value_type.value_type == pa.float16()
    first = table.slice(0, 1).to_pylist()[0]
    assert len(first["tail_logprobs"]) == len(first["target_ids"])
    assert all(-float("inf") < tail < 0 for tail in first["tail_logprobs"])
    summary = json.loads((artifact / "DONE.json").read_text())["summary"]
    assert 0 < summary["bytes_per_token"] < 20 * (4 + 2) + 4 + 4  # below the uncompressed columns

    config["students"].append(KD_HARD)  # another soft-label student: the same distributions
    again, _ = run_in_process(config)
    assert "distributions/vocabulary-train" in again.skipped
    assert not [label for label in again.computed if label.startswith("distributions/")]
    assert [label for label in again.computed if label.startswith("students/")] == [
        "students/kd-jsd-seed0",
        "students/kd-jsd-seed1",
    ]
    metrics = json.loads((again.run_dir / "metrics.json").read_text())
    details = {s["name"]: s["detail"] for s in metrics["students"]}
    assert details["kd-jsd"] == "gold labels; soft labels over vocabulary (w=1, T=1, β=0.5)"


def test_distributions_over_answer_choices_need_no_shared_vocabulary(tmp_path: Path) -> None:
    soft = {"name": "kd-choices", "mode": "kd", "soft_labels": {"over": "choices", "temperature": 1.0}}
    config = _config(tmp_path / "run", [soft])
    config["student_model"]["tiny_vocab"] = 100  # another tokenizer than the teacher's
    result, _ = run_in_process(config)

    (artifact,) = (result.run_dir / "distributions").glob("choices-train-*")
    rows = pq.read_table(artifact / "distributions.parquet").to_pylist()
    assert len(rows) == N_TRAIN and all(len(r["choices"]) == len(r["scores"]) == 4 for r in rows)
    (student,) = result.students
    assert student.metrics["test"]["n"] == 32
    card = (student.model / "README.md").read_text()
    assert "distilled from the teacher `tiny-causal`" in card


def test_sorted_probabilities_distil_next_tokens_across_vocabularies(tmp_path: Path) -> None:
    """Universal Logit Distillation: next-token distributions of a teacher and a student with
    different tokenizers, each answer position's probabilities compared sorted."""
    soft = {"over": "vocabulary", "match": "sorted", "temperature": 1.0, "top_k": 8}
    config = _config(tmp_path / "run", [{"name": "kd-uld", "mode": "kd", "soft_labels": soft}])
    config["student_model"]["tiny_vocab"] = 100  # another tokenizer than the teacher's
    config["student_training"]["logging_steps"] = 1
    result, _ = run_in_process(config)

    (student,) = result.students
    assert student.metrics["test"]["n"] == 32
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    (detail,) = [s["detail"] for s in metrics["students"] if s["name"] == "kd-uld"]
    assert detail == "gold labels; soft labels over sorted probabilities (ULD; w=0.5, T=1)"
    history = student.metrics["loss_history"]
    soft_losses = [h["loss_soft"] for h in history if "loss_soft" in h]
    assert soft_losses and all(v > 0 for v in soft_losses)


def test_on_policy_soft_labels_score_the_students_answers_with_the_teacher(
    tmp_path: Path, scored: list[int]
) -> None:
    """GKD's λ = 1: every training step's soft term follows the student's own answers, which the
    teacher (loaded beside the student) scores; the stored distributions are still made."""
    soft = {"temperature": 1.0, "top_k": 8, "on_policy": 1.0}
    config = _config(tmp_path / "run", [{"name": "kd-gkd", "mode": "kd", "soft_labels": soft}])
    config["student_training"]["logging_steps"] = 1
    result, _ = run_in_process(config)

    (student,) = result.students
    steps = student.metrics["loss_history"][-1]["step"]
    assert len(scored) == steps and sum(scored) >= steps  # every step, on its label rows
    soft_losses = [h["loss_soft"] for h in student.metrics["loss_history"] if "loss_soft" in h]
    assert soft_losses and all(v >= 0 for v in soft_losses)
    assert student.metrics["test"]["n"] == 32
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    (detail,) = [s["detail"] for s in metrics["students"] if s["name"] == "kd-gkd"]
    assert detail == "gold labels; soft labels over vocabulary (w=0.5, T=1, β=0, on-policy λ=1)"


def test_aligned_tokens_distil_next_tokens_across_vocabularies_off_and_on_policy(
    tmp_path: Path, scored: list[int]
) -> None:
    """GOLD-style alignment: a student with its own tokenizer learns the teacher's next-token
    distributions where both have read the same characters, along the gold answers (stored)
    and, on about half the steps, along its own sampled answers scored by the live teacher."""
    soft = {"match": "aligned", "top_k": 8, "on_policy": 0.5, "on_policy_temperature": 1.0}
    config = _config(tmp_path / "run", [{"name": "kd-gold", "mode": "kd", "soft_labels": soft}])
    config["student_model"]["tiny_vocab"] = 100  # another tokenizer than the teacher's
    config["student_training"]["logging_steps"] = 1
    result, _ = run_in_process(config)

    (artifact,) = (result.run_dir / "distributions").glob("vocabulary-train-*")
    table = pq.read_table(artifact / "distributions.parquet")
    pieces = json.loads(table.schema.metadata[b"tokendistill.pieces"])
    first = table.slice(0, 1).to_pylist()[0]
    assert len(first["spans"]) == len(first["target_ids"]) and first["spans"][-1][0] == first["spans"][-1][1]
    assert {str(i) for row in first["top_ids"] for i in row} <= pieces.keys()
    (student,) = result.students
    history = student.metrics["loss_history"]
    steps = history[-1]["step"]
    assert 0 < len(scored) < steps  # some steps on the student's answers, the rest on the gold ones
    soft_losses = [h["loss_soft"] for h in history if "loss_soft" in h]
    assert soft_losses and all(v >= 0 for v in soft_losses) and any(v > 0 for v in soft_losses)
    assert student.metrics["test"]["n"] == 32
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    (detail,) = [s["detail"] for s in metrics["students"] if s["name"] == "kd-gold"]
    assert detail == (
        "gold labels; soft labels over vocabulary, tokens aligned by their text "
        "(w=0.5, T=2, β=0, on-policy λ=0.5 sampled at 1)"
    )
