"""The per-model settings reach the stages: a chat-format LoRA teacher in bf16 with gradient
checkpointing trains, is kept merged, and attributes with an ``auto`` batch size; an instruct
teacher used as it is (``finetune: false``) attributes through its chat template."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from tokendistill.attribution.store import read_attributions
from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import run_pipeline

from .helpers import N_TRAIN, small_config

BIG_TEACHER = {
    "prompt_format": "chat",
    "system_prompt": "name the class",
    "precision": "bf16",
    "gradient_checkpointing": True,
    "peft": {"r": 4, "alpha": 8, "dropout": 0.0},
}


def attributions(run_dir: Path) -> list:
    (artifact,) = (run_dir / "attribute").glob("saliency-train-*/attributions.parquet")
    return read_attributions(artifact)[0]


def check_records(records: list) -> None:
    """Every training example, each token pointing at its own characters, no template word."""
    assert len({r.example_id for r in records}) == len(records) == N_TRAIN
    for record in records:
        assert record.finite and not {"system", "user", "assistant"} & set(record.tokens)
        for token, (start, end) in zip(record.tokens, record.offsets, strict=True):
            assert record.text[start:end].lower() == token.removeprefix("##")


def test_a_lora_chat_teacher_in_bf16_trains_and_attributes(tmp_path: Path) -> None:
    data = small_config(tmp_path / "run")
    data["teacher"]["model"].update(BIG_TEACHER)
    data["attribution"]["batch_size"] = "auto"
    run_pipeline(validate_config(data, Config), until="attribute")
    (teacher_dir,) = (tmp_path / "run" / "teacher").glob("tiny-causal-*")
    model = teacher_dir / "model"
    assert (model / "adapter" / "adapter_config.json").is_file()
    weights = load_file(model / "model.safetensors")
    assert not any("lora" in name for name in weights)  # merged: loads without peft
    assert {t.dtype for t in weights.values()} == {torch.bfloat16}  # the frozen base stayed bf16
    check_records(attributions(tmp_path / "run"))


def test_an_instruct_teacher_as_it_is_attributes_through_its_template(tmp_path: Path) -> None:
    data = small_config(tmp_path / "run")
    data["teacher"]["model"].update(prompt_format="chat", precision="bf16")
    data["teacher"]["finetune"] = False
    run_pipeline(validate_config(data, Config), until="attribute")
    check_records(attributions(tmp_path / "run"))
