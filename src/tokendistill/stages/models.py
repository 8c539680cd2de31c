"""Where the pipeline's saved models run, and the text a tiny model's tokenizer learns."""

from __future__ import annotations

import torch

from tokendistill.distributed import default_state
from tokendistill.tasks import TaskData
from tokendistill.training.modes import template_texts


def inference_device() -> torch.device:
    """This process's accelerator (its own GPU under ``accelerate launch``), else the CPU;
    the same process state as the run context and attribution sharding, so the first caller cannot set it up
    differently from the other."""
    return default_state().device


def corpus(data: TaskData) -> list[str]:
    """Text a tiny model's tokenizer is trained on: inputs and labels of the training splits
    (the students' and the teacher's own), and every template string a student mode adds."""
    examples = [*data.train, *data.teacher_train]
    return [*(t for ex in examples for t in (ex.text, ex.label)), *template_texts()]
