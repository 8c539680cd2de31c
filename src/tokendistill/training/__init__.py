"""Teacher and student training: DSS rows, the packed two-task loss, the Trainer, ``train_model``."""

from tokendistill.training.config import TrainingConfig
from tokendistill.training.losses import packed_task_loss, task_token_counts
from tokendistill.training.rows import (
    EXPLAIN_PREFIX,
    HINTS_SEPARATOR,
    MODES,
    PREDICT_PREFIX,
    TASK_LABEL,
    TASK_NAMES,
    TASK_RATIONALE,
    Mode,
    TrainingRow,
    build_rows,
    gold_answer_rationales,
    label_prompt,
    label_prompts,
    llm_rationales,
    random_word_rationales,
)
from tokendistill.training.run import TrainResult, train_model
from tokendistill.training.trainer import DistillTrainer

__all__ = [
    "EXPLAIN_PREFIX",
    "HINTS_SEPARATOR",
    "MODES",
    "PREDICT_PREFIX",
    "TASK_LABEL",
    "TASK_NAMES",
    "TASK_RATIONALE",
    "DistillTrainer",
    "Mode",
    "TrainResult",
    "TrainingConfig",
    "TrainingRow",
    "build_rows",
    "gold_answer_rationales",
    "label_prompt",
    "label_prompts",
    "llm_rationales",
    "packed_task_loss",
    "random_word_rationales",
    "task_token_counts",
    "train_model",
]
