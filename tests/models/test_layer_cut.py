"""Layer cutting on tiny decoder-only and encoder-decoder models of several families."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    BertConfig,
    BertLMHeadModel,
    BertModel,
    EncoderDecoderModel,
    GPT2Config,
    GPT2LMHeadModel,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from tokendistill.errors import ModelSpecError
from tokendistill.models.layer_cut import cut_layers, find_block_stacks
from tokendistill.models.spec import LayerSelection
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq

PROMPT = "the quick brown fox jumps over the lazy dog"


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_tiny_tokenizer()


def n_params(model: PreTrainedModel) -> int:
    return sum(p.numel() for p in model.parameters())


def layer_indices(model: PreTrainedModel) -> list[int]:
    return [m.layer_idx for m in model.modules() if isinstance(getattr(m, "layer_idx", None), int)]


def greedy(model: PreTrainedModel, inputs: dict[str, torch.Tensor], *, use_cache: bool) -> torch.Tensor:
    gen = model.generation_config
    return model.generate(
        **inputs,
        max_new_tokens=6,
        min_new_tokens=6,
        do_sample=False,
        use_cache=use_cache,
        pad_token_id=gen.pad_token_id,
        eos_token_id=gen.eos_token_id,
    )


def decoder_inputs(model: PreTrainedModel) -> dict[str, torch.Tensor]:
    if not model.config.is_encoder_decoder:
        return {}
    start = model.generation_config.decoder_start_token_id
    return {"decoder_input_ids": torch.tensor([[start, 5, 6, 7]])}


def check_cut_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    """Generation with a KV cache matches generation without, and a save/reload round trip is exact."""
    model.eval()
    inputs = dict(tokenizer([PROMPT], return_tensors="pt"))
    inputs.pop("token_type_ids", None)
    cached = greedy(model, inputs, use_cache=True)
    assert torch.equal(cached, greedy(model, inputs, use_cache=False))
    model.save_pretrained(tmp_path)
    auto = AutoModelForSeq2SeqLM if model.config.is_encoder_decoder else AutoModelForCausalLM
    reloaded = auto.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        before = model(**inputs, **decoder_inputs(model)).logits
        after = reloaded(**inputs, **decoder_inputs(model)).logits
    assert torch.equal(before, after)
    assert torch.equal(cached, greedy(reloaded, inputs, use_cache=True))


def test_llama_spread(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    model = tiny_causal(tokenizer, layers=5)
    full = n_params(model)
    per_block = n_params(model.model.layers[0])
    originals = [model.model.layers[i] for i in (0, 2, 4)]
    kept = cut_layers(model, LayerSelection(3))
    assert kept == {"model.layers": [0, 2, 4]}
    assert list(model.model.layers) == originals  # the same modules, weights untouched
    assert model.config.num_hidden_layers == 3
    assert n_params(model) == full - 2 * per_block
    assert layer_indices(model) == [0, 1, 2]
    check_cut_model(model, tokenizer, tmp_path)


def test_llama_first(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    model = tiny_causal(tokenizer, layers=4)
    assert cut_layers(model, LayerSelection(2, "first")) == {"model.layers": [0, 1]}
    check_cut_model(model, tokenizer, tmp_path)


def test_t5_cuts_both_stacks(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    model = tiny_seq2seq(tokenizer, layers=5)
    full = n_params(model)
    kept = cut_layers(model, LayerSelection(3))
    assert kept == {"encoder.block": [0, 2, 4], "decoder.block": [0, 2, 4]}
    assert n_params(model) < full
    assert (model.config.num_layers, model.config.num_decoder_layers) == (3, 3)
    assert model.encoder.config.num_layers == 3 and model.decoder.config.num_layers == 3
    # Block 0 holds T5's relative position bias and must survive.
    assert model.encoder.block[0].layer[0].SelfAttention.has_relative_attention_bias
    assert layer_indices(model.decoder) == [0, 0, 1, 1, 2, 2]  # self- and cross-attention per block
    check_cut_model(model, tokenizer, tmp_path)


def test_gpt2(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=4, n_head=2,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    model = GPT2LMHeadModel(config)
    assert cut_layers(model, LayerSelection(2)) == {"transformer.h": [0, 3]}
    assert model.config.n_layer == 2
    check_cut_model(model, tokenizer, tmp_path)


def test_qwen2_layer_types_follow_the_cut(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    torch.manual_seed(0)
    types = ["full_attention", "sliding_attention", "full_attention", "sliding_attention"]
    config = Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=2, use_sliding_window=True, sliding_window=4,
        layer_types=types, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    model = Qwen2ForCausalLM(config)
    assert cut_layers(model, LayerSelection(2)) == {"model.layers": [0, 3]}
    assert model.config.layer_types == ["full_attention", "sliding_attention"]
    check_cut_model(model, tokenizer, tmp_path)


def test_bert2bert(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    torch.manual_seed(0)
    size = {"vocab_size": len(tokenizer), "hidden_size": 32, "num_hidden_layers": 4}
    size |= {"num_attention_heads": 2, "intermediate_size": 64}
    encoder = BertModel(BertConfig(**size))
    decoder = BertLMHeadModel(BertConfig(**size, is_decoder=True, add_cross_attention=True))
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    for config in (model.config, model.generation_config):
        config.decoder_start_token_id = tokenizer.bos_token_id
        config.pad_token_id, config.eos_token_id = tokenizer.pad_token_id, tokenizer.eos_token_id
    stacks = [(s.path, s.role) for s in find_block_stacks(model)]
    assert stacks == [("encoder.encoder.layer", "encoder"), ("decoder.bert.encoder.layer", "decoder")]
    cut_layers(model, LayerSelection(2))
    assert model.config.encoder.num_hidden_layers == 2 and model.config.decoder.num_hidden_layers == 2
    assert model.decoder.config is model.config.decoder
    check_cut_model(model, tokenizer, tmp_path)


def test_too_many_layers(tokenizer: PreTrainedTokenizerFast) -> None:
    model = tiny_causal(tokenizer, layers=2)
    with pytest.raises(ModelSpecError, match="only 2"):
        cut_layers(model, LayerSelection(3))
    assert len(model.model.layers) == 2  # nothing was cut


def test_no_blocks_found() -> None:
    class NotATransformer(PreTrainedModel):
        config_class = GPT2Config

        def __init__(self, config: GPT2Config) -> None:
            super().__init__(config)
            self.proj = torch.nn.Linear(4, 4)

    with pytest.raises(ModelSpecError, match="no list of transformer blocks"):
        cut_layers(NotATransformer(GPT2Config(n_layer=2)), LayerSelection(1))
