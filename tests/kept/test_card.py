"""Model cards and manifests, rendered from hand-made manifests (no model needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import ModelCard

from tokendistill.errors import DeployError
from tokendistill.kept.card import prompt_format, render_card, write_kept_model
from tokendistill.kept.manifest import MANIFEST, Accuracy, Evaluation, Method, ModelManifest, read_manifest
from tokendistill.models.config import AdapterSettings
from tokendistill.stats import wilson_interval
from tokendistill.tasks import TaskConfig


def manifest(**changes: Any) -> ModelManifest:
    fields: dict[str, Any] = {
        "role": "student",
        "name": "ours",
        "seed": 3,
        "base_model": "google-t5/t5-small",
        "architecture": "seq2seq",
        "mode": "multitask",
        "adapter": AdapterSettings(),
        "evaluation": Evaluation(mode="generate", batch_size=8, max_new_tokens=16),
        "task": TaskConfig(name="cqa"),
        "label_set": None,
        "splits": {"train": 100, "valid": 10, "test": 50},
        "task_notes": ["a note"],
        "method": Method(rationale_source="attribution", attribution_method="saliency", k=5, alpha=0.5),
        "teacher": "google/flan-t5-xl",
        "accuracy": Accuracy(valid=0.6, test=0.5, n_test=50),
        "config": {"student": {"name": "ours"}},
    }
    return ModelManifest(**{**fields, **changes})


def test_card_metadata_and_body() -> None:
    card = render_card(manifest())
    low, high = wilson_interval(0.5, 50)
    assert card.data.base_model == "google-t5/t5-small"
    assert card.data.pipeline_tag == "text2text-generation" and card.data.library_name == "transformers"
    assert card.data.eval_results[0].metric_value == 0.5
    for text in (
        "distilled from the teacher `google/flan-t5-xl`",
        "| attribution method | saliency |",
        "| k (rationale words) | 5 |",
        "| α (label-task weight) | 0.5 |",
        "| test accuracy | 50.0 % |",
        f"| 95 % interval (Wilson) | [{100 * low:.1f} %, {100 * high:.1f} %] |",
        "| seed | 3 |",
        "`cqa`: train 100, valid 10, test 50.",
        "- a note",
        "Prompt format (`{input}` is the task-formatted example): `predict: {input}`",
        "AutoModelForSeq2SeqLM",
        "student:\n  name: ours",
    ):
        assert text in card.text, text
    assert ModelCard(str(card)).data.to_dict() == card.data.to_dict()


def test_only_hub_names_become_base_model_and_missing_figures_show_as_dashes() -> None:
    card = render_card(
        manifest(
            base_model="tiny-causal",
            architecture="causal",
            accuracy=Accuracy(valid=None, test=None, n_test=0),
        )
    )
    assert card.data.base_model is None and card.data.pipeline_tag == "text-generation"
    assert not card.data.eval_results
    assert "| test accuracy | – |" in card.text and "[–, –]" in card.text


@pytest.mark.parametrize(
    ("mode", "architecture", "expected"),
    [
        ("standard", "seq2seq", "{input}"),
        ("multitask", "causal", "predict: {input}\nAnswer:"),
        ("hints", "causal", "{input}\nHints: {rationale}\nAnswer:"),
    ],
)
def test_prompt_format_follows_the_mode_and_architecture(mode: str, architecture: str, expected: str) -> None:
    assert prompt_format(manifest(mode=mode, architecture=architecture)) == expected


def test_manifest_round_trip_and_a_bad_manifest(tmp_path: Path) -> None:
    written = manifest()
    write_kept_model(tmp_path, written)
    assert read_manifest(tmp_path) == written
    assert (tmp_path / "README.md").read_text().startswith("---\n")
    assert read_manifest(tmp_path / "elsewhere") is None
    (tmp_path / MANIFEST).write_text('{"role": "critic"}')
    with pytest.raises(DeployError, match=rf"{MANIFEST}: role: Input should be 'teacher' or 'student'"):
        read_manifest(tmp_path)


def test_a_student_that_did_not_learn_from_the_teacher_does_not_name_it() -> None:
    random_k = manifest(teacher=None, method=Method(rationale_source="random", k=5, alpha=0.5))
    assert "fine-tuned on gold labels with random rationales" in render_card(random_k).text
    teacher = manifest(role="teacher", mode="standard", teacher=None, method=Method())
    assert "fine-tuned on gold labels on the task `cqa`" in render_card(teacher).text
