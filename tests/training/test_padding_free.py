"""Padding-free batches of a decoder-only model: the same logits, loss and gradients as padded
batches; a run that trains with them computes no padding; the check refuses a model whose
attention would let the flattened rows read each other, and an encoder-decoder model."""

from __future__ import annotations

import json

import pytest
import torch

from tokendistill.models.adapter import CausalAdapter, make_adapter
from tokendistill.models.batch import picked_logprobs
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.training import TrainingConfig, build_rows, train_model
from tokendistill.training.arguments import TrainingSetupError
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.layouts import check_padding_free
from tolerances import BATCHING, assert_close
from trainer_steps import assert_same_step, step_loss_and_gradients, toy_trainer


def _adapter(toy, attention: str = "sdpa") -> CausalAdapter:
    tokenizer = toy.toy_tokenizer()
    model = tiny_causal(tokenizer, seed=3)
    model.config._attn_implementation = attention
    return make_adapter(model, tokenizer)


def _rows(toy, n: int = 8):
    examples = toy.TRAIN[:n]
    long = {ex.id: f"{ex.text} {ex.label}" for ex in examples}  # rows of very different lengths
    return build_rows(examples, "multitask", rationales=long, options={"alpha": 0.3})


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_flat_logits_are_the_padded_ones(toy, attention: str) -> None:
    adapter, rows = _adapter(toy, attention), _rows(toy)
    batch = adapter.encode([r.prompt for r in rows], [r.target for r in rows])
    assert (batch.prompt_mask == 0).any() and (batch.target_mask == 0).any()  # padding on both sides
    with torch.no_grad():
        padded = picked_logprobs(adapter.target_logits(batch), batch)
        flat = picked_logprobs(adapter.flat_target_logits(batch), batch)
    assert_close(flat, padded, BATCHING)


def test_padding_free_loss_and_gradients_are_the_padded_ones(toy, tmp_path) -> None:
    adapter, rows = _adapter(toy), _rows(toy)
    items = [ExampleRowsDataset(rows)[i] for i in range(8)]
    batch = RowCollator(adapter, by_task=True)(items)
    padded, flat = (
        step_loss_and_gradients(
            toy_trainer(toy, adapter, tmp_path / str(free), config=TrainingConfig(padding_free=free)), batch
        )
        for free in (False, True)
    )
    assert_same_step(flat, padded)


def test_a_padding_free_run_computes_no_padding(toy, tmp_path) -> None:
    adapter, rows = _adapter(toy), _rows(toy, 16)
    config = TrainingConfig(padding_free=True, max_steps=4, eval_steps=4, batch_size=8, eval_mode="rank")
    result = train_model(
        adapter, None, rows, toy.VALID, toy.TEST, toy.ExactMatch(), config, tmp_path, mode="multitask"
    )
    profile = json.loads(result.profile_path.read_text())
    assert profile["computed_tokens"] == profile["real_tokens"] > 0 and profile["padding_share"] == 0
    assert result.global_step == 4 and result.best_step == 4


class _MixedRows(CausalAdapter):
    """A model whose attention ignores where a flattened row starts (what an attention
    implementation without packed-sequence support does): every token reads all before it."""

    def flat_target_logits(self, batch):
        original = self.model.forward

        def forward(**kwargs):
            return original(**kwargs, attention_mask=torch.ones_like(kwargs["input_ids"]))

        self.model.forward = forward
        try:
            return super().flat_target_logits(batch)
        finally:
            del self.model.forward


def test_the_check_refuses_a_model_that_mixes_rows_and_an_encoder_decoder(toy) -> None:
    adapter, rows = _adapter(toy), _rows(toy)
    check_padding_free(adapter, rows, 4)  # transformers' sdpa keeps rows apart
    mixed = _MixedRows(adapter.model, adapter.tokenizer)
    with pytest.raises(TrainingSetupError, match="does not keep the rows of a flattened batch apart"):
        check_padding_free(mixed, rows, 4)
    tokenizer = toy.toy_tokenizer()
    with pytest.raises(TrainingSetupError, match="applies to decoder-only models"):
        check_padding_free(make_adapter(tiny_seq2seq(tokenizer, seed=0), tokenizer), rows, 4)
