"""Saved teachers and students are loaded onto the process's accelerator, not left on the CPU."""

from __future__ import annotations

import torch

from tokendistill.config import ModelConfig
from tokendistill.stages import models


def test_load_saved_places_the_model_on_the_inference_device(tmp_path, monkeypatch) -> None:
    config = ModelConfig(name="tiny-causal")
    model, tokenizer = models.build_model(config, ["a small corpus of words", "yes", "no"])
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)

    assert models.load_saved(str(tmp_path), config).device == models.inference_device()

    monkeypatch.setattr(models, "inference_device", lambda: torch.device("meta"))
    adapter = models.load_saved(str(tmp_path), config)
    assert adapter.device == torch.device("meta")
    assert not adapter.model.training
