"""The typed, validated training configuration (unknown keys fail)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tokendistill.evaluation.predict import EvalMode


class TrainingConfig(BaseModel):
    """Everything that decides a training run besides the model, the data, the student mode
    (with its α) and the seed, which the pipeline takes from the student and ``seeds``.

    ``batch_size`` counts *examples* per micro-batch over all processes: each of N processes
    under ``accelerate launch`` takes ``batch_size / N`` of them (it must divide), so a run
    trains the same way on any number of processes. In 'multitask' mode each example
    brings a predict and an explain row, so the forward pass sees twice as many rows.
    ``max_steps`` (optimizer steps) overrides ``epochs`` when set. ``warmup`` below 1 is a
    fraction of the steps, otherwise a step count.

    There is no separate ``save_steps``: checkpoints follow the evaluations, because the
    Trainer can only restore a best step that was saved. ``checkpoints: improved`` (the
    default) writes one only at an evaluation that improves validation accuracy, the only
    steps the run can select (a big model's checkpoint with its optimizer state can cost more
    than the steps between two evaluations); a killed run then resumes from its last
    improvement and trains the steps after it again, to the same result. ``every_eval`` writes
    one at every evaluation (resuming loses at most ``eval_steps``). ``save_total_limit``
    bounds the disk use; the best checkpoint is always kept besides the latest.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: float = Field(1.0, gt=0, description="passes over the training split")
    max_steps: int | None = Field(None, ge=1, description="optimizer steps; overrides epochs when set")
    learning_rate: float = Field(5e-5, gt=0, description="the peak learning rate")
    lr_scheduler: Literal["linear", "constant", "constant_with_warmup", "cosine"] = Field(
        "linear", description="how the learning rate changes over the steps"
    )
    warmup: float = Field(
        0.0, ge=0, description="warm-up: a fraction of the steps below 1, else a step count"
    )
    weight_decay: float = Field(0.0, ge=0, description="AdamW's weight decay")
    max_grad_norm: float = Field(1.0, ge=0, description="gradient clipping norm")
    batch_size: int = Field(8, ge=1, description="examples per micro-batch over all processes")
    grad_accumulation: int = Field(1, ge=1, description="micro-batches per optimizer step")
    group_by_length: bool = Field(
        False,
        description="batch training examples of similar length together (random groups of 50 batches, each "
        "split into batches of similar prompt and target widths; label-only rows of 2-16 answer classes keep "
        "the classes' mix in each batch): less padding computed, another order of examples",
    )
    padding_free: bool = Field(
        False,
        description="decoder-only models: each training batch's rows as one sequence with position ids "
        "restarting per row, no padding computed (pays with flash attention; checked once per run)",
    )
    head_chunk: int | None = Field(
        None,
        ge=1,
        description="target positions per chunk of the output head and the losses over the vocabulary "
        "(the logits of a whole batch never exist at once: for large vocabularies and soft labels); "
        "none: the whole batch at once",
    )
    eval_batch_size: int = Field(32, ge=1, description="examples per evaluation batch")
    eval_steps: int = Field(100, ge=1, description="evaluate on validation (and checkpoint) every N steps")
    checkpoints: Literal["improved", "every_eval"] = Field(
        "improved", description="write a checkpoint when validation accuracy improves, or at every evaluation"
    )
    save_total_limit: int | None = Field(2, ge=1, description="checkpoints kept (the best is always kept)")
    eval_mode: EvalMode = Field(
        "generate", description="generate an answer, or rank the candidate answers by likelihood"
    )
    max_new_tokens: int = Field(32, ge=1, description="cap on generated answers in evaluation")
    logging_steps: int = Field(10, ge=1, description="log the losses every N steps")
