"""The probe that tells data parallelism whether to search for parameters without a gradient:
none in our models, in both student layouts and with LoRA; a parameter a step never reaches
is named; the model's gradients are left as they were (None)."""

from __future__ import annotations

import pytest
from torch import nn

from tokendistill.models.adapter import make_adapter
from tokendistill.models.config import LoraSettings, ModelConfig
from tokendistill.models.lora import add_lora
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows
from tokendistill.training.arguments import training_arguments
from tokendistill.training.terms import TaskCrossEntropy
from tokendistill.training.unused import unused_parameters

BUILD = {"seq2seq": tiny_seq2seq, "causal": tiny_causal}


def probe(toy, model, mode: str = "standard") -> list[str]:
    rationales = toy.animal_rationales(toy.TRAIN) if mode == "multitask" else None
    rows = build_rows(toy.TRAIN[:8], mode, rationales=rationales)
    names = unused_parameters(make_adapter(model, toy.toy_tokenizer()), rows, [TaskCrossEntropy()], 4)
    assert all(p.grad is None for p in model.parameters())
    return names


@pytest.mark.parametrize("mode", ["standard", "multitask"])
@pytest.mark.parametrize("arch", sorted(BUILD))
def test_every_parameter_of_our_students_gets_a_gradient(toy, arch: str, mode: str) -> None:
    assert probe(toy, BUILD[arch](toy.toy_tokenizer()), mode) == []


def test_a_parameter_the_step_never_reaches_is_named(toy) -> None:
    model = tiny_causal(toy.toy_tokenizer())
    model.add_module("spare_head", nn.Linear(4, 2))
    assert probe(toy, model) == ["spare_head.weight", "spare_head.bias"]
    model.spare_head.requires_grad_(False)  # frozen: nothing to synchronise
    assert probe(toy, model) == []


def test_lora_trains_only_reached_adapters(toy) -> None:
    model = add_lora(
        tiny_causal(toy.toy_tokenizer()), LoraSettings(r=4), quantized=False, checkpointing=False
    )
    assert probe(toy, model) == []
    assert any(p.requires_grad for p in model.parameters())


def test_the_decision_reaches_the_trainer(tmp_path) -> None:
    settings = ModelConfig(name="tiny-causal")
    for find_unused in (True, False, None):
        args = training_arguments(TrainingConfig(), tmp_path, model=settings, find_unused=find_unused)
        assert args.ddp_find_unused_parameters is find_unused
