"""Saving the trained model: atomically, without pickles, merged when it carries LoRA adapters."""

from __future__ import annotations

import shutil
from pathlib import Path

from transformers import Trainer
from transformers.trainer import TRAINING_ARGS_NAME

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.lora import has_lora, merge_lora
from tokendistill.runtime.files import atomic_write_text

TRAINING_ARGS_JSON = "training_args.json"
ADAPTER_DIR = "adapter"  # inside the model folder: the LoRA adapter alone (peft's format)


def save_model_atomic(trainer: Trainer, adapter: ModelAdapter, model_dir: Path) -> None:
    """Save into a temporary folder, then swap it in: a killed run never leaves half a model.

    A LoRA model is saved merged (a plain transformers folder that loads without peft), with
    the adapter alone in ``adapter/``; ``adapter.model`` becomes the merged model.
    """
    tmp = model_dir.with_name(f".{model_dir.name}.tmp")
    if trainer.is_world_process_zero() and tmp.exists():
        shutil.rmtree(tmp)
    trainer.accelerator.wait_for_everyone()
    if has_lora(adapter.model):
        trainer.save_model(str(tmp / ADAPTER_DIR))  # every process calls it; only the main one writes
        adapter.model = merge_lora(adapter.model)
        if trainer.is_world_process_zero():
            adapter.model.save_pretrained(tmp)
            adapter.tokenizer.save_pretrained(tmp)
    else:
        trainer.save_model(str(tmp))
    if trainer.is_world_process_zero():
        # The Trainer pickles its arguments next to the weights; a kept model holds no pickle,
        # only their JSON form.
        for pickled in tmp.rglob(TRAINING_ARGS_NAME):
            pickled.unlink()
        atomic_write_text(tmp / TRAINING_ARGS_JSON, trainer.args.to_json_string())
        if model_dir.exists():
            shutil.rmtree(model_dir)
        tmp.rename(model_dir)
