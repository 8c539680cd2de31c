"""Training rows for each student mode, and the rationale sources."""

from __future__ import annotations

import pytest

from tokendistill.tasks.example import Example
from tokendistill.training import (
    EXPLAIN_PREFIX,
    PREDICT_PREFIX,
    TASK_LABEL,
    TASK_RATIONALE,
    build_rows,
    gold_answer_rationales,
    label_prompt,
    label_prompts,
    llm_rationales,
    random_word_rationales,
)
from tokendistill.training.rows import TrainingRow, content_words

EX = Example(
    id="e1",
    text="Premise: a dog runs. Hypothesis: an animal moves.",
    content_spans=((9, 20), (33, 49)),
    label="entailment",
    meta={"llm_rationale": "A dog is an animal."},
)


def test_standard_rows_use_gold_or_teacher_labels():
    (gold,) = build_rows([EX], "standard")
    assert gold == TrainingRow("e1", EX.text, "entailment", 1.0, TASK_LABEL)
    (taught,) = build_rows([EX], "standard", teacher_labels={"e1": "neutral"})
    assert taught.target == "neutral" and taught.prompt == EX.text


def test_multitask_rows_are_the_two_dss_tasks():
    predict, explain = build_rows([EX], "multitask", rationales={"e1": "dog animal"}, alpha=0.3)
    assert predict == TrainingRow("e1", PREDICT_PREFIX + EX.text, "entailment", 0.3, TASK_LABEL)
    assert (explain.prompt, explain.target) == (EXPLAIN_PREFIX + EX.text, "dog animal")
    assert explain.task == TASK_RATIONALE
    assert explain.weight == pytest.approx(0.7)
    assert label_prompt(EX, "multitask") == predict.prompt


def test_prefixed_prompt_keeps_content_spans():
    shifted = EX.with_prefix(PREDICT_PREFIX)
    assert shifted.text == label_prompt(EX, "multitask")
    content = [EX.text[s:e] for s, e in EX.content_spans]
    assert [shifted.text[s:e] for s, e in shifted.content_spans] == content


def test_hints_rows_append_the_rationale_to_the_input():
    (row,) = build_rows([EX], "hints", rationales={"e1": "dog animal"})
    assert row.prompt == EX.text + "\nHints: dog animal" and row.target == "entailment"
    assert label_prompts([EX], "hints", {"e1": "dog animal"}) == [row.prompt]
    with pytest.raises(ValueError, match="hints"):
        label_prompts([EX], "hints")


def test_missing_inputs_are_named():
    with pytest.raises(ValueError, match="rationales"):
        build_rows([EX], "multitask")
    with pytest.raises(KeyError, match="e1"):
        build_rows([EX], "multitask", rationales={"other": "x"})
    with pytest.raises(ValueError, match="unknown mode"):
        build_rows([EX], "dss")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        build_rows([EX], "multitask", rationales={"e1": "x"}, alpha=1.5)


def test_random_words_come_from_content_only_and_are_stable(toy):
    words = content_words(EX)
    assert words == ["a", "dog", "runs.", "an", "animal", "moves."]
    picked = random_word_rationales([EX], k=3, seed=7)["e1"].split()
    assert len(picked) == 3 and all(w in words for w in picked)
    assert picked == [w for w in words if w in picked]  # input order
    # A rationale depends on (seed, id) only: other examples do not shift it.
    assert random_word_rationales([*toy.TRAIN[:5], EX], k=3, seed=7)["e1"] == " ".join(picked)
    assert random_word_rationales([EX], k=10)["e1"].split() == words
    assert len({random_word_rationales([EX], k=2, seed=s)["e1"] for s in range(20)}) > 1


def test_gold_and_llm_rationales(toy):
    assert gold_answer_rationales([EX]) == {"e1": "entailment"}
    assert llm_rationales([EX]) == {"e1": "A dog is an animal."}
    with pytest.raises(KeyError, match="llm_rationale"):
        llm_rationales(toy.TRAIN[:1])
