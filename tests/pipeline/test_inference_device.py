"""Saved teachers are loaded onto the process's accelerator, not left on the CPU."""

from __future__ import annotations

import torch

from tokendistill.config import TeacherConfig
from tokendistill.distributed import inference_device
from tokendistill.models.build import load_adapter
from tokendistill.stages import teacher as teacher_stage


def test_load_teacher_places_the_model_on_the_inference_device(tmp_path, monkeypatch) -> None:
    config = TeacherConfig(model={"name": "tiny-causal"})
    built = load_adapter(config.model, corpus=["a small corpus of words", "yes", "no"])
    built.model.save_pretrained(tmp_path)
    built.tokenizer.save_pretrained(tmp_path)
    outputs = teacher_stage.TeacherOutputs(artifact=None, folder=tmp_path, metrics={}, train_answers={})

    assert teacher_stage.load_teacher(outputs, config).device == inference_device()

    monkeypatch.setattr(teacher_stage, "inference_device", lambda: torch.device("meta"))
    adapter = teacher_stage.load_teacher(outputs, config)
    assert adapter.device == torch.device("meta")
    assert not adapter.model.training
