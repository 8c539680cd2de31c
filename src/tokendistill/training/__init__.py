"""Teacher and student training: student modes, the packed two-task loss, the Trainer, ``train_model``
(``fit``: as the stages call it; ``corpus``: the text a tiny model's tokenizer learns)."""

from tokendistill.training.config import TrainingConfig
from tokendistill.training.losses import packed_task_loss, task_token_counts
from tokendistill.training.modes import (
    StudentMode,
    build_rows,
    get_mode,
    label_prompts,
    list_modes,
    register_mode,
)
from tokendistill.training.rows import TASK_LABEL, TASK_NAMES, TASK_RATIONALE, TrainingRow
from tokendistill.training.run import TrainResult, train_model
from tokendistill.training.trainer import DistillTrainer

__all__ = [
    "TASK_LABEL",
    "TASK_NAMES",
    "TASK_RATIONALE",
    "DistillTrainer",
    "StudentMode",
    "TrainResult",
    "TrainingConfig",
    "TrainingRow",
    "build_rows",
    "get_mode",
    "label_prompts",
    "list_modes",
    "packed_task_loss",
    "register_mode",
    "task_token_counts",
    "train_model",
]
