"""Soft labels across tokenizers through aligned tokens (``soft_labels.match: aligned``): token
pieces under two tokenizer conventions, the positions where two tokenizations meet, the
present-entry divergence, and the soft term, which equals the token-by-token one when teacher
and student share a tokenizer."""

from __future__ import annotations

import math

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from tokendistill.models.token_pieces import (
    EOS_PIECE,
    VocabularyMap,
    aligned_positions,
    target_spans,
    token_pieces,
)
from tokendistill.training import build_rows
from tokendistill.training.aligned_targets import align_target, aligned_tensors
from tokendistill.training.losses import tail_bucket_jsd
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import SoftLabelTerm, TeacherDistributions, VocabularyTarget
from tolerances import FORMULA, assert_close

from .test_soft_labels import _adapter, _batch, _distributions, _examples, _soft_loss


def _byte_level(words: list[str]) -> PreTrainedTokenizerFast:
    """A GPT-2-style tokenizer (a space is part of the next word's token: ``Ġthe``)."""
    vocab = {t: i for i, t in enumerate(["<eos>", *pre_tokenizers.ByteLevel.alphabet(), *words])}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<eos>")


def test_pieces_carry_the_word_boundary_whatever_the_convention() -> None:
    wordpiece = _adapter("causal", seed=0).tokenizer  # a WordPiece tokenizer: ``the``, ``##the``
    ids = wordpiece.convert_tokens_to_ids(["the", "##e", wordpiece.eos_token])
    assert list(token_pieces(wordpiece, ids).values()) == [" the", "e", EOS_PIECE]
    byte_level = _byte_level(["Ġthe", "ĠThe"])
    ids = byte_level.convert_tokens_to_ids(["Ġthe", "e", "ĠThe", "<eos>"])
    assert list(token_pieces(byte_level, ids).values()) == [" the", "e", " The", EOS_PIECE]

    # Into the (lowercasing) WordPiece student: " The" and " the" are its ``the``, EOS its EOS.
    vocabulary = VocabularyMap(wordpiece)
    pieces = token_pieces(byte_level, ids)
    assert vocabulary.student_ids(pieces, ids) == wordpiece.convert_tokens_to_ids(
        ["the", "##e", "the", wordpiece.eos_token]
    )
    assert vocabulary.student_id(" zebra-unknown") is None


def test_positions_pair_where_both_tokenizations_have_read_the_same_characters() -> None:
    # "entailment": a teacher's " entail|ment" against a student's "en|##tail|##ment", then EOS.
    teacher = [(0, 6), (6, 10), (10, 10)]
    student = [(0, 2), (2, 6), (6, 10), (10, 10)]
    assert aligned_positions(teacher, student) == [(0, 0), (1, 2), (2, 3)]
    assert aligned_positions(student, student) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert aligned_positions([(0, 10), (10, 10)], [(0, 4), (4, 10), (10, 10)]) == [(0, 0), (1, 2)]


def test_absent_entries_drop_out_of_the_bucket_divergence() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 11, requires_grad=True)
    ids = torch.tensor([[1, 4, 7]]).expand(2, 3, 3)
    teacher = torch.log_softmax(torch.randn(2, 3, 11), -1)
    top, tail = teacher.gather(-1, ids), torch.logsumexp(teacher.scatter(-1, ids, -torch.inf), -1)
    # The same first two entries, and a third absent one that repeats the first id.
    padded_ids = torch.cat([ids[..., :2], ids[..., :1]], -1)
    padded_top = torch.cat([top[..., :2], torch.full_like(top[..., :1], -torch.inf)], -1)
    present = torch.tensor([True, True, False]).expand(2, 3, 3)
    rest = torch.logaddexp(tail, top[..., 2])  # the third token joins the teacher's tail
    for beta in (0.0, 0.5):
        expected = tail_bucket_jsd(logits, ids[..., :2], top[..., :2], rest, beta=beta)
        got = tail_bucket_jsd(logits, padded_ids, padded_top, rest, present, beta=beta)
        assert_close(got, expected, FORMULA)
    got.sum().backward()
    assert torch.isfinite(logits.grad).all()


def _pieces(distributions: TeacherDistributions, tokenizer) -> TeacherDistributions:
    return TeacherDistributions(
        distributions.key,
        distributions.over,
        distributions.tokenizer,
        distributions.vocabulary,
        distributions.entries,
        token_pieces(tokenizer),
    )


@pytest.mark.parametrize("arch", ["causal", "seq2seq"])
@pytest.mark.parametrize("top_k", [5, 4096])
def test_with_one_tokenizer_the_aligned_term_is_the_token_by_token_term(arch: str, top_k: int) -> None:
    teacher, student = _adapter(arch, seed=0), _adapter(arch, seed=1)
    rows = build_rows(_examples(), "kd")
    terms = {}
    for match in ("tokens", "aligned"):
        config = SoftLabelConfig(weight=0.4, temperature=2.0, beta=0.5, top_k=top_k, match=match)
        distributions = _pieces(_distributions(teacher, config), teacher.tokenizer)
        soft = SoftLabelTerm(config, distributions, student, rows, "student")
        terms[match] = _soft_loss(student, soft, _batch(student, soft, "kd"))
    assert terms["tokens"] > 0
    assert_close(terms["aligned"], terms["tokens"], FORMULA)


def test_another_tokenizer_keeps_the_teachers_mass_at_every_aligned_position() -> None:
    teacher, student = _adapter("causal", seed=0), _adapter("seq2seq", seed=1, vocab=100)
    config = SoftLabelConfig(top_k=4096, match="aligned")  # all of the teacher's mass is stored
    distributions = _pieces(_distributions(teacher, config), teacher.tokenizer)
    vocabulary = VocabularyMap(student.tokenizer)
    for example in _examples():
        target = distributions[example.id]
        assert isinstance(target, VocabularyTarget)
        spans = target_spans(student, example.label)
        aligned = align_target(target, distributions.pieces, spans, vocabulary)
        assert aligned.positions and aligned.positions[-1] == len(spans) - 1  # EOS against EOS
        for lp, tail in zip(aligned.logprobs, aligned.tails, strict=True):
            assert math.fsum(math.exp(v) for v in [*lp, tail]) == pytest.approx(1.0, abs=1e-4)
        tensors = aligned_tensors([aligned, None], len(spans))
        assert tensors["soft_mask"][0].nonzero().squeeze(-1).tolist() == list(aligned.positions)
        assert not tensors["soft_mask"][1].any()


def test_soft_label_config_takes_aligned_tokens_and_sampled_on_policy_answers() -> None:
    config = SoftLabelConfig(match="aligned", on_policy=0.5, on_policy_temperature=0.9, beta=0.5)
    assert config.match == "aligned"
    with pytest.raises(ValueError, match="needs over: vocabulary"):
        SoftLabelConfig(match="aligned", over="choices")
    with pytest.raises(ValueError, match="match: tokens or aligned"):
        SoftLabelConfig(match="sorted", on_policy=0.5)


def test_sampled_answers_follow_the_seed_and_differ_from_greedy() -> None:
    adapter = _adapter("causal", seed=0)
    prompts = [ex.text for ex in _examples()] * 4
    greedy = adapter.generate(prompts, max_new_tokens=4)
    torch.manual_seed(3)
    sampled = adapter.generate(prompts, max_new_tokens=4, temperature=5.0)
    torch.manual_seed(3)
    assert adapter.generate(prompts, max_new_tokens=4, temperature=5.0) == sampled
    assert sampled != greedy
