"""``DistillTrainer``: the transformers Trainer with the packed two-task loss and task-metric
validation. Only what differs from the stock Trainer is overridden:

* ``get_batch_samples`` also counts target tokens per task over the micro-batches of one
  optimizer step, on all processes (the loss normaliser, see losses.py);
* ``compute_loss`` runs the adapter's ``target_logits`` (no architecture branch), plus the
  soft-label term of a ``soft_targets`` student (``soft_targets.py``);
* ``log`` adds each task's token-mean loss since the last log (``loss_label``,
  ``loss_rationale``), so a user sees which task a two-task student is (not) learning;
* ``evaluate`` predicts the validation examples (generation or rank classification) and
  returns ``eval_accuracy``, so ``metric_for_best_model="accuracy"`` selects checkpoints.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from transformers import Trainer

from tokendistill.evaluation.predict import EvalMode, EvalResult, Scorer, evaluate_examples
from tokendistill.models.adapter import ModelAdapter, picked_logprobs
from tokendistill.tasks.example import Example
from tokendistill.training.data import as_encoded_batch
from tokendistill.training.losses import packed_task_loss, task_nll_sums, task_token_counts
from tokendistill.training.rows import TASK_LABEL, TASK_NAMES
from tokendistill.training.soft_targets import SoftTargets


class DistillTrainer(Trainer):
    # compute_loss divides by the token counts of the whole optimizer step itself, so the
    # Trainer must not divide again by the number of accumulation steps.
    loss_is_scaled_for_ga = True

    def __init__(
        self,
        *args: Any,
        adapter: ModelAdapter,
        valid_examples: Sequence[Example],
        valid_prompts: Sequence[str],
        scorer: Scorer,
        eval_mode: EvalMode = "generate",
        max_new_tokens: int = 32,
        label_warmup_steps: int = 0,
        soft_targets: SoftTargets | None = None,
        **kwargs: Any,
    ) -> None:
        if len(valid_prompts) != len(valid_examples):
            raise ValueError(f"{len(valid_examples)} validation examples but {len(valid_prompts)} prompts")
        # The stock Trainer refuses step-wise evaluation without an eval_dataset; ours is the examples.
        super().__init__(*args, eval_dataset=list(valid_examples), **kwargs)
        self.adapter = adapter
        self.valid_prompts = list(valid_prompts)
        self.scorer = scorer
        self.eval_mode: EvalMode = eval_mode
        self.max_new_tokens = max_new_tokens
        self.label_warmup_steps = label_warmup_steps
        self.soft_targets = soft_targets
        # Per-task summed NLL and token counts since the last log (training steps only).
        self._task_nll = torch.zeros(len(TASK_NAMES))
        self._task_tokens = torch.zeros(len(TASK_NAMES))

    # ------------------------------------------------------------------ training
    def get_batch_samples(self, epoch_iterator, num_batches, device) -> tuple[list, torch.Tensor]:
        """Fetch one optimizer step's micro-batches; return per-task token counts [K] summed
        over them and over processes, passed on as ``num_items_in_batch``."""
        batch_samples, _ = super().get_batch_samples(epoch_iterator, num_batches, device)
        counts = torch.zeros(len(TASK_NAMES), device=device)
        for batch in batch_samples:
            counts += task_token_counts(batch["target_mask"], batch["row_task"], len(TASK_NAMES)).to(device)
        if self.accelerator.num_processes > 1:
            counts = self.accelerator.gather(counts).view(-1, len(TASK_NAMES)).sum(0)
        return batch_samples, counts

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        batch = as_encoded_batch(inputs)
        adapter = self._adapter_for(model)
        logits = adapter.target_logits(batch)  # [B, T, V]
        logprobs = picked_logprobs(logits, batch)  # [B, T]
        counts = num_items_in_batch
        if counts is None:  # called outside the training loop: normalise by this batch alone
            counts = task_token_counts(batch.target_mask, inputs["row_task"], len(TASK_NAMES))
        weights = self._row_weights(inputs["row_weight"], inputs["row_task"], model.training)
        loss = packed_task_loss(logprobs, batch.target_mask, weights, inputs["row_task"], counts)
        if self.soft_targets is not None:
            loss = loss + self.soft_targets.loss(adapter, inputs, logits, counts)
        if model.training:
            self._track_task_losses(logprobs, batch.target_mask, inputs["row_task"])
        if num_items_in_batch is not None:
            # Data parallelism averages gradients over processes, but the counts already span
            # all of them: scale back up so the step's gradient is the global token-mean's.
            loss = loss * self.accelerator.num_processes
        return (loss, logprobs) if return_outputs else loss

    def _row_weights(self, weights: torch.Tensor, row_task: torch.Tensor, training: bool) -> torch.Tensor:
        """The rows' weights; during the first ``label_warmup_steps`` optimizer steps of
        training, the label task alone (weight 1, rationale rows 0), so a two-task student
        learns to answer before it learns to explain."""
        if training and self.state.global_step < self.label_warmup_steps:
            return (row_task == TASK_LABEL).to(weights.dtype)
        return weights

    @torch.no_grad()
    def _track_task_losses(self, logprobs: torch.Tensor, mask: torch.Tensor, row_task: torch.Tensor) -> None:
        nll = task_nll_sums(logprobs.detach(), mask, row_task, len(TASK_NAMES))
        tokens = task_token_counts(mask, row_task, len(TASK_NAMES)).to(nll.device)
        self._task_nll = self._task_nll.to(nll.device) + nll
        self._task_tokens = self._task_tokens.to(tokens.device) + tokens

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """The stock log, plus ``loss_<task>`` (token-mean NLL of each task present since the
        last training log, over all processes) next to the combined ``loss``."""
        if "loss" in logs:
            nll, tokens = self._task_nll, self._task_tokens
            if self.accelerator.num_processes > 1:
                nll = self.accelerator.reduce(nll.to(self.accelerator.device), reduction="sum")
                tokens = self.accelerator.reduce(tokens.to(self.accelerator.device), reduction="sum")
            for name, n, t in zip(TASK_NAMES, nll.tolist(), tokens.tolist(), strict=True):
                if t > 0:
                    logs[f"loss_{name}"] = round(n / t, 4)
            self._task_nll = torch.zeros_like(self._task_nll)
            self._task_tokens = torch.zeros_like(self._task_tokens)
        super().log(logs, start_time)

    def _adapter_for(self, model: nn.Module) -> ModelAdapter:
        """The adapter, forwarding through ``model`` when the Trainer wrapped it (DDP):
        calling the bare module would skip the wrapper's gradient synchronisation."""
        if model is self.adapter.model:
            return self.adapter
        view = copy.copy(self.adapter)
        view.model = _ForwardThrough(model, self.adapter.model)
        return view

    # ---------------------------------------------------------------- validation
    def evaluate(
        self,
        eval_dataset: Any = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """Validation accuracy with the task's metric; logged and reported to callbacks."""
        if eval_dataset is not None:
            raise ValueError("DistillTrainer evaluates its validation examples only; use evaluate_examples")
        result = self.predict_examples(self.eval_dataset, self.valid_prompts)
        metrics = {f"{metric_key_prefix}_{k}": v for k, v in result.metrics.items()}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics

    def predict_examples(self, examples: Sequence[Example], prompts: Sequence[str]) -> EvalResult:
        """Predict and score examples with the current weights (validation, and the final test)."""
        return evaluate_examples(
            self.adapter,
            examples,
            prompts,
            self.scorer,
            mode=self.eval_mode,
            batch_size=self.args.per_device_eval_batch_size,
            max_new_tokens=self.max_new_tokens,
        )


class _ForwardThrough:
    """Stands in for the adapter's model: calls go through the training wrapper, every
    attribute (config, generation_config, parameters, embeddings) comes from the bare model."""

    def __init__(self, wrapped: nn.Module, bare: nn.Module) -> None:
        self._wrapped = wrapped
        self._bare = bare

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrapped(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bare, name)
