"""Tiny randomly initialised models and an offline tokenizer, for tests and the demo.

Both architectures are covered: a T5-style encoder-decoder and a Llama-style decoder-only
model. Each builds in well under a second on a CPU.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    T5Config,
    T5ForConditionalGeneration,
)

SPECIALS = ["<pad>", "</s>", "<unk>", "<s>"]

# A small chat template in the common shape (role header, message, end of turn, then the
# assistant's header), given to tiny tokenizers when a config asks for prompt_format: chat.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<s>{{ message['role'] }} : {{ message['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant :{% endif %}"
)

_DEFAULT_CORPUS = (
    "the quick brown fox jumps over the lazy dog . a man is playing a guitar on stage . "
    "premise hypothesis entailment neutral contradiction answer choices question explain predict "
    "0 1 2 3 4 5 6 7 8 9 + - * / ( ) = ? , ! : ; ' \" "
)


def build_tiny_tokenizer(
    corpus: Iterable[str] = (), vocab_size: int = 400, *, add_bos: bool = False, add_eos: bool = False
) -> PreTrainedTokenizerFast:
    """A small WordPiece tokenizer built deterministically from ``corpus`` (plus a seed text).

    The vocabulary is every single character (alone and as a ``##`` continuation) and then
    the most frequent words, ties broken alphabetically, up to ``vocab_size``: the same corpus
    always gives the same ids (a trained BPE does not, which would break resuming a run).
    Offsets stay character-exact, which the attribution tests rely on; text is lowercased.
    """
    tok = Tokenizer(
        models.WordPiece(vocab=_vocabulary([_DEFAULT_CORPUS, *corpus], vocab_size), unk_token="<unk>")
    )
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = _PRE_TOKENIZER
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    if add_bos or add_eos:
        bos, eos = ("<s> " if add_bos else ""), (" </s>" if add_eos else "")
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos}$A{eos}",
            pair=f"{bos}$A $B{eos}",
            special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", bos_token="<s>"
    )


_PRE_TOKENIZER = pre_tokenizers.Sequence(
    [
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Punctuation(),
        pre_tokenizers.Digits(individual_digits=False),
    ]
)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"()+-*/=%$#&_<>[]{}@^~`|\\"


def _vocabulary(texts: Iterable[str], vocab_size: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w, _ in _PRE_TOKENIZER.pre_tokenize_str(text.lower()))
    chars = sorted(set(_ALPHABET) | {c for word in counts for c in word})
    vocab = [*SPECIALS, *chars, *(f"##{c}" for c in chars)]
    known = set(vocab)
    words = sorted((w for w in counts if w not in known), key=lambda w: (-counts[w], w))
    vocab.extend(words[: max(0, vocab_size - len(vocab))])
    return {token: i for i, token in enumerate(vocab)}


def tiny_seq2seq(tokenizer: PreTrainedTokenizerFast, *, d_model: int = 64, layers: int = 2, seed: int = 0):
    """A T5-style encoder-decoder sized for tests."""
    import torch

    torch.manual_seed(seed)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=d_model // 4,
        d_ff=d_model * 2,
        num_layers=layers,
        num_decoder_layers=layers,
        num_heads=4,
        relative_attention_num_buckets=16,
        dropout_rate=0.0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    model = T5ForConditionalGeneration(config)
    _sync_generation_config(model, tokenizer)
    return model


def tiny_causal(tokenizer: PreTrainedTokenizerFast, *, hidden: int = 64, layers: int = 2, seed: int = 0):
    """A Llama-style decoder-only model sized for tests."""
    import torch

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    _sync_generation_config(model, tokenizer)
    return model


def _sync_generation_config(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast) -> None:
    gen = model.generation_config
    gen.pad_token_id = tokenizer.pad_token_id
    gen.eos_token_id = tokenizer.eos_token_id
    if model.config.is_encoder_decoder:
        gen.decoder_start_token_id = model.config.decoder_start_token_id
    gen.do_sample = False
