"""Training what a big teacher needs: LoRA (trains, checkpoints, resumes, saves, reloads and
attributes), bf16 mixed precision and gradient checkpointing, on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file

from tokendistill.attribution import attribute
from tokendistill.models.adapter import make_adapter
from tokendistill.models.build import load_adapter
from tokendistill.models.config import LoraSettings, ModelConfig
from tokendistill.models.lora import add_lora, has_lora
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows, train_model
from tokendistill.training.arguments import training_arguments
from tolerances import CHECKPOINTING, LORA_MERGE, assert_close

from .test_train import _KillAfterSave, _Killed, assert_same_last_checkpoint

BUILD = {"seq2seq": tiny_seq2seq, "causal": tiny_causal}
LORA = LoraSettings(r=8, alpha=16, dropout=0.0)


def config(**overrides) -> TrainingConfig:
    base = dict(
        max_steps=20,
        eval_steps=10,
        batch_size=16,
        learning_rate=1e-2,
        lr_scheduler="constant",
        max_new_tokens=4,
        eval_mode="rank",
    )
    return TrainingConfig(**{**base, **overrides})


def lora_adapter(toy, arch: str, lora_seed: int = 0, **settings):
    """The same base model every time (a pretrained model's part), LoRA initialised from ``lora_seed``."""
    tokenizer = toy.toy_tokenizer()
    base = BUILD[arch](tokenizer, seed=0)
    torch.manual_seed(lora_seed)
    model = add_lora(base, LORA, quantized=False, checkpointing=False)
    return make_adapter(model, tokenizer, ModelConfig(name=f"tiny-{arch}", peft=LORA, **settings))


def train(toy, adapter, out, **kwargs):
    rows = build_rows(toy.TRAIN, "standard")
    cfg = kwargs.pop("training", None) or config()
    return train_model(adapter, None, rows, toy.VALID, toy.TEST, toy.ExactMatch(), cfg, out, **kwargs)


@pytest.mark.parametrize("arch", ["causal", "seq2seq"])
def test_a_lora_teacher_trains_saves_reloads_and_attributes_the_same(toy, tmp_path, arch) -> None:
    adapter = lora_adapter(toy, arch)
    lora_weights = {n: p.detach().clone() for n, p in adapter.model.named_parameters() if "lora_B" in n}
    result = train(toy, adapter, tmp_path)
    assert result.global_step == 20 and result.best_valid_accuracy > 0.5
    checkpoint = Path(result.best_checkpoint)
    assert (checkpoint / "adapter_model.safetensors").is_file()  # checkpoints hold the adapter only
    assert not (checkpoint / "model.safetensors").exists()
    # The kept model: merged (loads without peft), the adapter beside it, no pickle anywhere.
    assert (result.model_dir / "model.safetensors").is_file()
    assert (result.model_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert not [p for p in result.model_dir.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl")]
    saved_lora = load_file(result.model_dir / "adapter" / "adapter_model.safetensors")
    assert any(not torch.equal(v, torch.zeros_like(v)) for k, v in saved_lora.items() if "lora_B" in k)
    assert lora_weights  # they started at zero and trained
    assert not has_lora(adapter.model)  # train_model left the merged model in the adapter

    # Attribution through the unmerged adapter (the base + the saved adapter) equals attribution
    # through the merged, reloaded folder.
    base = BUILD[arch](toy.toy_tokenizer(), seed=0)
    unmerged = make_adapter(
        PeftModel.from_pretrained(base, result.model_dir / "adapter"), toy.toy_tokenizer()
    )
    merged = load_adapter(
        ModelConfig(name=f"tiny-{arch}"), folder=result.model_dir, device=torch.device("cpu")
    )
    assert not has_lora(merged.model)
    answers = [ex.label for ex in toy.TRAIN[:6]]
    a = attribute(unmerged, toy.TRAIN[:6], "saliency", split="train", teacher_answers=answers)
    b = attribute(merged, toy.TRAIN[:6], "saliency", split="train", teacher_answers=answers)
    for x, y in zip(a, b, strict=True):
        assert_close(x.scores, y.scores, LORA_MERGE, f"scores of {x.example_id}")


def test_a_killed_lora_run_resumes_from_its_adapter_checkpoint(toy, tmp_path) -> None:
    whole = train(toy, lora_adapter(toy, "causal"), tmp_path / "whole")
    with pytest.raises(_Killed):
        train(toy, lora_adapter(toy, "causal"), tmp_path / "split", callbacks=[_KillAfterSave(10)])
    # A fresh process builds fresh adapters: a different init proves they come from the checkpoint.
    fresh = lora_adapter(toy, "causal", lora_seed=7)
    resumed = train(toy, fresh, tmp_path / "split", resume_from_checkpoint=True)
    assert resumed.global_step == 20 and resumed.valid_history == whole.valid_history
    assert_same_last_checkpoint(tmp_path / "whole", tmp_path / "split", "adapter_model.safetensors")


def test_model_settings_choose_mixed_precision_and_checkpointing(tmp_path) -> None:
    args = training_arguments(config(), tmp_path, model=ModelConfig(name="tiny-causal", precision="bf16"))
    assert args.bf16 and not args.fp16 and not args.gradient_checkpointing
    args = training_arguments(
        config(), tmp_path, model=ModelConfig(name="tiny-causal", gradient_checkpointing=True)
    )
    assert not args.bf16 and args.gradient_checkpointing
    assert args.gradient_checkpointing_kwargs == {"use_reentrant": False}


def test_bf16_training_keeps_float32_master_weights(toy, tmp_path) -> None:
    tokenizer = toy.toy_tokenizer()
    model = tiny_causal(tokenizer, seed=0)
    adapter = make_adapter(model, tokenizer, ModelConfig(name="tiny-causal", precision="bf16"))
    result = train(toy, adapter, tmp_path, training=config(max_steps=10, eval_steps=10))
    assert result.global_step == 10 and adapter.model.dtype == torch.float32
    assert all(torch.isfinite(p).all() for p in adapter.model.parameters())


# Checkpointing recomputes each block's forward during backward: the gradients are the plain
# run's summed in another order (the CHECKPOINTING tolerance). Whole training runs
# are not compared: Adam divides by sqrt(v), so a parameter whose gradient is ~0 moves by up
# to the learning rate either way on a last-bit difference (seen: weights 8e-4 apart after 6
# steps at lr 1e-2, and the loss 6e-4 apart from there on, under the default kernels).
def test_checkpointed_gradients_equal_plain_gradients(toy) -> None:
    grads = []
    for checkpointing in (False, True):
        tokenizer = toy.toy_tokenizer()
        model = tiny_seq2seq(tokenizer, seed=0)
        if checkpointing:
            model.gradient_checkpointing_enable()
        adapter = make_adapter(model, tokenizer, ModelConfig(name="tiny-seq2seq"))
        model.train()
        batch = adapter.encode([ex.text for ex in toy.TRAIN[:16]], [ex.label for ex in toy.TRAIN[:16]])
        (-adapter.target_logprobs(batch).sum()).backward()
        grads.append({n: p.grad for n, p in model.named_parameters() if p.grad is not None})
    plain, checkpointed = grads
    assert plain.keys() == checkpointed.keys() and plain
    scale = max(g.abs().max().item() for g in plain.values())
    for name, grad in plain.items():
        assert_close(checkpointed[name], grad, CHECKPOINTING, name, scale=scale)


def test_checkpointed_training_runs_with_checkpointed_blocks(toy, tmp_path) -> None:
    """The Trainer turns checkpointing on from the model's settings, and its first loss (one
    forward of the same weights) is the plain run's."""
    first_losses = []
    for checkpointing in (False, True):
        tokenizer = toy.toy_tokenizer()
        settings = ModelConfig(name="tiny-seq2seq", gradient_checkpointing=checkpointing)
        adapter = make_adapter(tiny_seq2seq(tokenizer, seed=0), tokenizer, settings)
        training = config(max_steps=2, eval_steps=2, logging_steps=1)
        result = train(toy, adapter, tmp_path / str(checkpointing), training=training)
        blocks = [m for m in adapter.model.modules() if hasattr(m, "gradient_checkpointing")]
        assert blocks and all(m.gradient_checkpointing == checkpointing for m in blocks)
        first_losses.append(json.loads(result.metrics_path.read_text())["loss_history"][0]["loss"])
    plain, checkpointed = first_losses
    assert_close(checkpointed, plain, CHECKPOINTING, "first loss")
