"""A chunked output head (``head_chunk``): the hidden states a model hands its head, through
that head, are its logits (a Llama, a T5, a BERT decoder with a biased head); a training step's
loss and gradients with chunks equal the direct ones (cross-entropy, the soft-label term over
the vocabulary with a tail, the sorted distance); a run trains with it; the check refuses a model
that changes its logits after the head or whose head is not a linear layer."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from transformers import BertConfig, BertLMHeadModel, BertModel, EncoderDecoderModel

from tokendistill.models.adapter import ModelAdapter, make_adapter
from tokendistill.models.head import OutputHead, target_hidden
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.stages.distributions import teacher_targets
from tokendistill.training import TrainingConfig, build_rows, train_model
from tokendistill.training.arguments import TrainingSetupError
from tokendistill.training.data import ExampleRowsDataset, RowCollator
from tokendistill.training.layouts import check_head_chunk
from tokendistill.training.modes import TermInputs, get_mode, mode_options
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import TeacherDistributions, vocabulary_fingerprint
from tolerances import BATCHING, assert_close
from trainer_steps import assert_same_step, step_loss_and_gradients, toy_trainer

ARCHITECTURES = ["causal", "seq2seq", "bert2bert"]


def _bert2bert(tokenizer, seed: int) -> EncoderDecoderModel:
    torch.manual_seed(seed)
    size = {"vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 2}
    size |= {"num_attention_heads": 2, "intermediate_size": 64}
    size |= {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}  # steps compared in train mode
    decoder = BertLMHeadModel(BertConfig(**size, is_decoder=True, add_cross_attention=True))
    torch.nn.init.normal_(decoder.cls.predictions.bias, std=0.5)  # a bias that matters
    encoder = BertModel(BertConfig(**size), add_pooling_layer=False)
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    for config in (model.config, model.generation_config):
        config.decoder_start_token_id = tokenizer.bos_token_id
        config.pad_token_id, config.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    return model


def _adapter(toy, arch: str, seed: int = 3) -> ModelAdapter:
    tokenizer = toy.toy_tokenizer()
    build = {"causal": tiny_causal, "seq2seq": tiny_seq2seq, "bert2bert": _bert2bert}[arch]
    return make_adapter(build(tokenizer, seed=seed), tokenizer)


def _rows(toy, n: int = 8):
    examples = toy.TRAIN[:n]
    long = {ex.id: f"{ex.text} {ex.label}" for ex in examples}  # rows of very different lengths
    return build_rows(examples, "kd-multitask", rationales=long, options={"alpha": 0.3})


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_hidden_states_through_the_head_are_the_logits(toy, arch: str) -> None:
    adapter, rows = _adapter(toy, arch), _rows(toy)
    batch = adapter.encode([r.prompt for r in rows], [r.target for r in rows])
    with torch.no_grad():
        logits = adapter.target_logits(batch)
        hidden, head = target_hidden(adapter, batch)
        assert hidden.shape == (*logits.shape[:2], adapter.model.get_output_embeddings().in_features)
        assert_close(head(hidden), logits, BATCHING)
        assert (head.bias is not None) == (arch == "bert2bert")
    assert adapter.target_logits(batch).shape == logits.shape  # the head is itself again afterwards


def _terms(toy, student: ModelAdapter, rows, soft: dict | None):
    if soft is None:
        return []
    teacher = _adapter(toy, "causal" if student.architecture == "causal" else "seq2seq", seed=9)
    config = SoftLabelConfig(**soft)
    examples = toy.TRAIN[:8]
    targets = teacher_targets(teacher, config, [e.text for e in examples], [[e.label] for e in examples], 4)
    distributions = TeacherDistributions(
        "key", "vocabulary", "teacher", vocabulary_fingerprint(teacher.tokenizer),
        {e.id: t for e, t in zip(examples, targets, strict=True)},
    )  # fmt: skip
    options = mode_options("kd-multitask", {"alpha": 0.3, "soft_labels": config.model_dump()})
    return get_mode("kd-multitask").loss_terms(options, TermInputs(student, rows, distributions, "student"))


SOFT = {
    "cross-entropy": None,
    "forward KL, top-4 and a tail": {"over": "vocabulary", "top_k": 4, "weight": 0.5, "temperature": 2.0},
    "JSD": {"over": "vocabulary", "top_k": 4, "weight": 0.5, "beta": 0.5},
    "sorted (any tokenizer pair)": {"over": "vocabulary", "top_k": 4, "weight": 0.5, "match": "sorted"},
    "aligned tokens": {"over": "vocabulary", "top_k": 4, "weight": 0.5, "beta": 0.5, "match": "aligned"},
}


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("soft", list(SOFT))
def test_a_chunked_step_has_the_direct_loss_and_gradients(
    toy, tmp_path, monkeypatch, arch: str, soft: str
) -> None:
    adapter, rows = _adapter(toy, arch), _rows(toy)
    terms = _terms(toy, adapter, rows, SOFT[soft])
    items = [ExampleRowsDataset(rows)[i] for i in range(8)]
    batch = RowCollator(adapter, terms, by_task=True)(items)

    def step(chunk: int | None):
        config = TrainingConfig(head_chunk=chunk)
        return step_loss_and_gradients(
            toy_trainer(toy, adapter, tmp_path / str(chunk), terms=terms, config=config), batch
        )

    direct = step(None)
    rows_projected: list[int] = []
    head_call = OutputHead.__call__

    def recorded(head: OutputHead, hidden: torch.Tensor) -> torch.Tensor:
        rows_projected.append(hidden.shape[0] if hidden.dim() == 2 else -1)
        return head_call(head, hidden)

    monkeypatch.setattr(OutputHead, "__call__", recorded)
    assert_same_step(step(3), direct)
    assert rows_projected and max(rows_projected) == 3 and min(rows_projected) > 0  # a chunk at a time


def test_a_run_trains_with_a_chunked_head(toy, tmp_path) -> None:
    adapter = _adapter(toy, "causal")
    rows = build_rows(toy.TRAIN[:16], "standard")
    config = TrainingConfig(head_chunk=2, max_steps=4, eval_steps=4, batch_size=8, eval_mode="rank")
    result = train_model(adapter, None, rows, toy.VALID, toy.TEST, toy.ExactMatch(), config, tmp_path)
    assert result.global_step == 4 and json.loads(result.profile_path.read_text())["real_tokens"] > 0


def test_the_check_refuses_logits_changed_after_the_head_and_a_head_that_is_not_linear(toy) -> None:
    adapter, rows = _adapter(toy, "causal"), _rows(toy)
    check_head_chunk(adapter, rows, 4)
    model = adapter.model
    original = model.forward

    def soft_capped(**kwargs):
        out = original(**kwargs)
        out.logits = torch.tanh(out.logits / 0.5) * 0.5  # as Gemma 2's final_logit_softcapping
        return out

    model.forward = soft_capped
    with pytest.raises(TrainingSetupError, match="changes its logits after its output head"):
        check_head_chunk(adapter, rows, 4)
    del model.forward
    model.lm_head = nn.Sequential(model.lm_head)
    with pytest.raises(TrainingSetupError, match=r"needs a linear output head.*head_chunk: null"):
        check_head_chunk(adapter, rows, 4)
