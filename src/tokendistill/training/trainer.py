"""``DistillTrainer``: the transformers Trainer with the packed two-task loss and task-metric
validation. Only what differs from the stock Trainer is overridden:

* ``get_batch_samples`` also counts target tokens per task over the micro-batches of one
  optimizer step, on all processes (the loss normaliser, see losses.py);
* ``compute_loss`` runs the adapter's ``target_logits`` (no architecture branch) once per
  padded batch of the collated batch (one per task, ``RowCollator(by_task=True)``) and sums
  the student mode's loss terms over them (``step.py``, ``terms.py``; the rows'
  cross-entropy by default);
* ``log`` adds each task's token-mean loss since the last log (``loss_label``,
  ``loss_rationale``), so a user sees which task a two-task student is (not) learning, and
  each named term's value per optimizer step (``loss_<name>``);
* ``evaluate`` predicts the validation examples (generation or rank classification) and
  returns ``eval_accuracy``, so ``metric_for_best_model="accuracy"`` selects checkpoints;
* ``training_step``, ``evaluate`` and ``_save_checkpoint`` add their wall time to the run's
  ``TrainingProfile`` (``profile.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import Sampler
from transformers import Trainer

from tokendistill.evaluation.predict import EvalMode, EvalResult, Scorer, evaluate_examples
from tokendistill.models.adapter import ModelAdapter
from tokendistill.tasks.example import Example
from tokendistill.training.data import ExampleRowsDataset, batch_parts, batch_token_counts
from tokendistill.training.losses import task_nll_sums, task_token_counts
from tokendistill.training.profile import TrainingProfile
from tokendistill.training.rows import TASK_NAMES
from tokendistill.training.sampling import LengthGroupedEpochs, answer_classes, batch_widths
from tokendistill.training.step import StepLoss, step_loss
from tokendistill.training.terms import LossTerm, or_cross_entropy


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
        terms: Sequence[LossTerm] = (),
        profile: TrainingProfile | None = None,
        padding_free: bool = False,
        head_chunk: int | None = None,
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
        self.terms = or_cross_entropy(terms)
        self.profile = profile or TrainingProfile()
        self.padding_free = padding_free
        self.head_chunk = head_chunk
        # Per-task summed NLL and token counts, and each named term's summed value, since the
        # last log (training steps only).
        self._task_nll = torch.zeros(len(TASK_NAMES))
        self._task_tokens = torch.zeros(len(TASK_NAMES))
        self._named = [term.name for term in self.terms if term.name]
        self._term_sums = torch.zeros(len(self._named))
        self._term_steps: set[int] = set()  # the optimizer steps those sums span

    # ------------------------------------------------------------------ training
    def _get_train_sampler(self, train_dataset: Any = None) -> Sampler | None:
        """With ``group_by_length``: batches of similar lengths in tokens, each with the answer
        classes' mix (the stock sampler would look for token ids in the items, and ours are rows)."""
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        grouped = self.args.train_sampling_strategy == "group_by_length"
        if not grouped or not isinstance(dataset, ExampleRowsDataset):
            return super()._get_train_sampler(train_dataset)
        batch = self.args.train_batch_size * self.args.gradient_accumulation_steps
        items = [dataset[i] for i in range(len(dataset))]
        return LengthGroupedEpochs(
            batch, batch_widths(self.adapter, items), self.args.seed, answer_classes(items)
        )

    def training_step(
        self, model: nn.Module, inputs: dict[str, Any], num_items_in_batch: torch.Tensor | None = None
    ) -> torch.Tensor:
        with self.profile.timed("forward_backward"):
            return super().training_step(model, inputs, num_items_in_batch)

    def _save_checkpoint(self, model: nn.Module, trial: Any) -> None:
        with self.profile.timed("checkpoint"):
            super()._save_checkpoint(model, trial)

    def get_batch_samples(self, epoch_iterator, num_batches, device) -> tuple[list, torch.Tensor]:
        """Fetch one optimizer step's micro-batches; return per-task token counts [K] summed
        over them and over processes, passed on as ``num_items_in_batch``."""
        batch_samples, _ = super().get_batch_samples(epoch_iterator, num_batches, device)
        counts = torch.zeros(len(TASK_NAMES), device=device)
        for batch in batch_samples:
            counts += batch_token_counts(batch).to(device)
        if self.accelerator.num_processes > 1:
            counts = self.accelerator.gather(counts).view(-1, len(TASK_NAMES)).sum(0)
        return batch_samples, counts

    def compute_loss(
        self,
        model: nn.Module,
        inputs: dict[str, torch.Tensor],
        return_outputs: bool = False,
        num_items_in_batch: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, list[StepLoss]]:
        adapter = self._adapter_for(model)
        counts = num_items_in_batch
        if counts is None:  # called outside the training loop: normalise by this batch alone
            counts = batch_token_counts(inputs)
        step = self.state.global_step
        parts = _computed_parts(batch_parts(inputs), self.terms, step, model.training)
        layout = {"flat": self.padding_free, "head_chunk": self.head_chunk}
        outs = [
            step_loss(adapter, self.terms, part, counts, step, model.training, **layout) for part in parts
        ]
        loss = sum((out.loss for out in outs[1:]), outs[0].loss)
        if model.training:
            for part, out in zip(parts, outs, strict=True):
                self.profile.count(part, flat=self.padding_free)
                self._track_task_losses(out.logprobs, part["target_mask"], part["row_task"])
                self._track_terms([v for term, v in zip(self.terms, out.values, strict=True) if term.name])
        if num_items_in_batch is not None:
            # Data parallelism averages gradients over processes, but the counts already span
            # all of them: scale back up so the step's gradient is the global token-mean's.
            loss = loss * self.accelerator.num_processes
        return (loss, outs) if return_outputs else loss

    @torch.no_grad()
    def _track_terms(self, values: list[torch.Tensor]) -> None:
        self._term_steps.add(self.state.global_step)
        if values:
            summed = torch.stack([v.detach().float() for v in values])
            self._term_sums = self._term_sums.to(summed.device) + summed

    @torch.no_grad()
    def _track_task_losses(self, logprobs: torch.Tensor, mask: torch.Tensor, row_task: torch.Tensor) -> None:
        nll = task_nll_sums(logprobs.detach(), mask, row_task, len(TASK_NAMES))
        tokens = task_token_counts(mask, row_task, len(TASK_NAMES)).to(nll.device)
        self._task_nll = self._task_nll.to(nll.device) + nll
        self._task_tokens = self._task_tokens.to(tokens.device) + tokens

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """The stock log, plus ``loss_<task>`` (token-mean NLL of each task present since the
        last training log, over all processes) and ``loss_<term>`` (each named term's value
        per optimizer step since then) next to the combined ``loss``."""
        if "loss" in logs:
            nll, tokens, terms = self._task_nll, self._task_tokens, self._term_sums
            if self.accelerator.num_processes > 1:
                device = self.accelerator.device
                nll = self.accelerator.reduce(nll.to(device), reduction="sum")
                tokens = self.accelerator.reduce(tokens.to(device), reduction="sum")
                terms = self.accelerator.reduce(terms.to(device), reduction="sum")
            for name, n, t in zip(TASK_NAMES, nll.tolist(), tokens.tolist(), strict=True):
                if t > 0:
                    logs[f"loss_{name}"] = round(n / t, 4)
            steps = max(1, len(self._term_steps))
            for name, total in zip(self._named, terms.tolist(), strict=True):
                logs[f"loss_{name}"] = round(total / steps, 4)
            self._task_nll = torch.zeros_like(self._task_nll)
            self._task_tokens = torch.zeros_like(self._task_tokens)
            self._term_sums = torch.zeros_like(self._term_sums)
            self._term_steps = set()
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
        with self.profile.timed("evaluate"):
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


def _computed_parts(
    parts: list[Mapping[str, torch.Tensor]], terms: Sequence[LossTerm], step: int, training: bool
) -> list[Mapping[str, torch.Tensor]]:
    """The padded batches some term applies to (all of them if none: the loss stays defined)."""
    kept = [part for part in parts if any(term.applies(part, step, training) for term in terms)]
    return kept or parts


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
