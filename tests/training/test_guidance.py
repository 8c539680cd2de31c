"""Guided students: the terms against direct computations, marks across tokenizers, the
controls' mask sizes, and a killed guided run that resumes."""

from __future__ import annotations

import re

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from tokendistill.attribution.result import TokenAttribution
from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.tasks.config import SyntheticConfig
from tokendistill.tasks.synthetic import generate
from tokendistill.training.chunked import TargetOutputs
from tokendistill.training.data import RowCollator
from tokendistill.training.guidance.tokens import token_marks
from tokendistill.training.modes import TermInputs, build_rows, get_mode, mode_options
from tokendistill.training.modes.multitask import PREDICT_PREFIX
from tokendistill.training.terms import StepBatch

WORD = re.compile(r"\w+")


def _step(adapter, term, rows, *, training: bool = True) -> StepBatch:
    inputs = RowCollator(adapter, [term])(tuple((r,) for r in rows))
    encoded = adapter.encode([r.prompt for r in rows], [r.target for r in rows])
    logits = adapter.target_logits(encoded)
    tokens = torch.tensor([float(encoded.target_mask.sum()), 0.0])
    outputs = TargetOutputs(encoded.target_mask, logits=logits)
    return StepBatch(adapter, inputs, outputs, torch.zeros(1), tokens, 0, training)


def _guided(toy, mode: str, marks, **options):
    tokenizer = toy.toy_tokenizer()
    adapter = make_adapter(tiny_causal(tokenizer, seed=0), tokenizer)
    rows = build_rows(toy.TRAIN[:6], mode, rationales=toy.animal_rationales(toy.TRAIN[:6]))
    chosen = mode_options(mode, {"weight": 2.0, **options})
    terms = get_mode(mode).loss_terms(chosen, TermInputs(adapter, rows, marks=marks))
    return adapter, rows, terms[-1]


def _direct_penalty(adapter, rows, marks) -> torch.Tensor:
    """Σ over unmarked words' tokens of ‖∂ mean log p(label) / ∂ e‖², one row at a time, the
    rows weighed by their label tokens: written without the guidance package."""
    total, tokens = torch.zeros(()), 0
    for row in rows:
        one = adapter.encode([row.prompt], [row.target])
        embeds = adapter.model.get_input_embeddings()(one.prompt_ids)
        with sdpa_kernel(SDPBackend.MATH):
            logits = adapter.target_logits(one, embeds)
        picked = logits.log_softmax(-1).gather(-1, one.target_ids.unsqueeze(-1)).squeeze(-1)
        (grad,) = torch.autograd.grad(picked.mean(), embeds, create_graph=True)
        shift = len(PREDICT_PREFIX)
        unmarked = marks[row.example_id].unmarked
        outside = [
            i
            for i, off in enumerate(one.prompt_offsets[0])
            if off is not None and any(s + shift < off[1] and off[0] < e + shift for s, e in unmarked)
        ]
        n = int(one.target_mask.sum())
        total = total + n * grad[0, outside].pow(2).sum()
        tokens += n
    return 2.0 * total / tokens


def test_gradient_penalty_equals_a_direct_computation_with_equal_gradients(toy) -> None:
    marks = toy.animal_marks(toy.TRAIN[:6])
    adapter, rows, term = _guided(toy, "guided-gradient", marks)
    adapter.model.eval()  # no dropout: both sides see the same function
    value = term(_step(adapter, term, rows))
    direct = _direct_penalty(adapter, rows, marks)
    assert value.item() > 0
    torch.testing.assert_close(value, direct, rtol=1e-5, atol=1e-9)
    weight = adapter.model.get_input_embeddings().weight
    (ours,) = torch.autograd.grad(value, weight, retain_graph=True)
    (theirs,) = torch.autograd.grad(direct, weight)
    assert ours.abs().sum() > 0
    # Rows batched with padding vs one at a time: float32 rounding, far below the gradient's scale.
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5 * theirs.abs().max().item())


def test_gradient_penalty_is_zero_when_every_word_is_marked(toy) -> None:
    marks = toy.animal_marks(toy.TRAIN[:6], all_marked=True)
    adapter, rows, term = _guided(toy, "guided-gradient", marks)
    assert term(_step(adapter, term, rows)).item() == 0.0


def test_guidance_is_off_outside_training(toy) -> None:
    adapter, rows, term = _guided(toy, "guided-consistency", toy.animal_marks(toy.TRAIN[:6]))
    assert term(_step(adapter, term, rows, training=False)).item() == 0.0


def test_matching_is_zero_only_where_the_student_looks_like_the_marks(toy) -> None:
    from tokendistill.training.modes.guided_matching import marks_divergence

    eligible = torch.tensor([[True, True, True, False]])
    q = torch.tensor([[0.0, 1.0, 0.0, 0.0]])
    on_target = marks_divergence(torch.tensor([[0.0, 5.0, 0.0, 9.0]]), eligible, q)
    spread = marks_divergence(torch.tensor([[1.0, 1.0, 1.0, 0.0]]), eligible, q)
    assert on_target.item() == pytest.approx(0.0, abs=1e-6)
    assert spread.item() == pytest.approx(torch.log(torch.tensor(3.0)).item(), rel=1e-5)


def test_consistency_hides_the_unmarked_words_only(toy, monkeypatch) -> None:
    adapter, rows, term = _guided(toy, "guided-consistency", toy.animal_marks(toy.TRAIN[:6]))
    seen = []
    real = adapter.target_logits
    monkeypatch.setattr(
        adapter, "target_logits", lambda batch, *a, **k: seen.append(batch) or real(batch, *a, **k)
    )
    step = _step(adapter, term, rows)
    seen.clear()
    value = term(step)
    assert value.item() > 0 and len(seen) == 1
    hidden = (step.inputs["prompt_mask"] == 1) & (seen[0].prompt_mask == 0)
    assert torch.equal(hidden, step.inputs["guide_unmarked"])


def _records(examples, tokenizer) -> list[TokenAttribution]:
    """Attribution records as a teacher with ``tokenizer`` stores them: its tokens' offsets in
    the text, scores highest on the first content word's tokens."""
    records = []
    for ex in examples:
        enc = tokenizer(ex.text, return_offsets_mapping=True, add_special_tokens=False)
        offsets = [tuple(o) for o in enc["offset_mapping"]]
        tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"])
        content = [ex.is_content(s, e) for s, e in offsets]
        scores = [float(len(offsets) - i) if c else 0.0 for i, c in enumerate(content)]
        records.append(
            TokenAttribution(
                ex.id, "train", ex.text, tokens, offsets, content, scores, ex.label, ex.label, ex.label, True
            )
        )
    return records


def _request(examples, records, k: int = 2) -> SourceRequest:
    return SourceRequest(
        examples=examples,
        split="train",
        k=k,
        seed=3,
        selection=Selection(SelectionConfig(k=k, unit="word", filters=["punctuation"])),
        method="saliency",
        records=lambda method, split: records,
    )


def test_marks_land_on_the_right_student_tokens_across_tokenizers() -> None:
    examples = generate("train", 12, SyntheticConfig(n_train=12, seed=5, distractors=0.3))
    corpus = [e.text for e in examples]
    teacher = build_tiny_tokenizer(corpus)  # whole words
    student = build_tiny_tokenizer(["a b c"], vocab_size=120)  # characters and word pieces
    records = _records(examples, teacher)
    marks = get_source("attribution").marks(_request(examples, records))
    student_adapter = make_adapter(tiny_seq2seq(student, seed=0), student)
    prompts = [PREDICT_PREFIX + e.text for e in examples]
    encoded = student_adapter.encode(prompts)
    for ex, prompt, offsets in zip(examples, prompts, encoded.prompt_offsets, strict=True):
        found = token_marks(offsets, marks[ex.id], len(PREDICT_PREFIX))
        marked_words = {ex.text[s:e].lower() for s, e in marks[ex.id].marked}
        assert len(marked_words) == 2
        pieces = [prompt[o[0] : o[1]] for o, m in zip(offsets, found.marked, strict=True) if m]
        assert len(pieces) > len(marks[ex.id].marked)  # the student splits words into pieces
        assert {
            w.lower() for w in WORD.findall(" ".join(_joined(offsets, found.marked, prompt)))
        } == marked_words
        assert sum(found.q) == pytest.approx(1.0)
        assert not any(m and u for m, u in zip(found.marked, found.unmarked, strict=True))
        assert not any(m for o, m in zip(offsets, found.marked, strict=True) if o is None)


def _joined(offsets, flags, prompt) -> list[str]:
    """The text of consecutive flagged tokens, joined where their ranges touch."""
    words, last = [], None
    for off, flag in zip(offsets, flags, strict=True):
        if not flag or off is None:
            continue
        if last is not None and off[0] == last:
            words[-1] += prompt[off[0] : off[1]]
        else:
            words.append(prompt[off[0] : off[1]])
        last = off[1]
    return words


def test_random_and_oracle_masks_have_the_size_of_the_teachers() -> None:
    examples = generate("train", 30, SyntheticConfig(n_train=30, seed=7, cues_per_example=1, distractors=0.3))
    records = _records(examples, build_tiny_tokenizer([e.text for e in examples]))
    request = _request(examples, records, k=2)
    sizes = {
        name: {key: len(m.marked) for key, m in get_source(name).marks(request).items()}
        for name in ("attribution", "random", "oracle")
    }
    assert sizes["attribution"] == sizes["random"] == sizes["oracle"]
    assert set(sizes["attribution"].values()) == {2}
    oracle = get_source("oracle").marks(request)
    for ex in examples:
        assert {(ev.start, ev.end) for ev in ex.evidence} <= set(oracle[ex.id].marked)


def test_a_guided_student_needs_a_source_that_marks_words() -> None:
    from tokendistill.config import StudentConfig

    with pytest.raises(ValueError, match="marks none"):
        StudentConfig(name="g", mode="guided-consistency", rationale={"source": "gold"})
    StudentConfig(name="g", mode="guided-consistency", rationale={"source": "random"})


def test_guided_rows_add_the_rationale_task_only_below_alpha_one(toy) -> None:
    rationales = toy.animal_rationales(toy.TRAIN[:4])
    alone = build_rows(toy.TRAIN[:4], "guided-matching", rationales=rationales)
    both = build_rows(toy.TRAIN[:4], "guided-matching", rationales=rationales, options={"alpha": 0.5})
    assert len(alone) == 4 and len(both) == 8
    assert get_mode("guided-matching").needs(mode_options("guided-matching", {"alpha": 0.5})).rationales
