"""Training rows and label prompts for each student mode."""

from __future__ import annotations

import pytest

from tokendistill.tasks.example import Example
from tokendistill.training import TASK_LABEL, TASK_RATIONALE, build_rows, get_mode, label_prompts, list_modes
from tokendistill.training.modes import template_texts
from tokendistill.training.modes.multitask import EXPLAIN_PREFIX, PREDICT_PREFIX
from tokendistill.training.rows import TrainingRow

EX = Example(
    id="e1",
    text="Premise: a dog runs. Hypothesis: an animal moves.",
    content_spans=((9, 20), (33, 49)),
    label="entailment",
    llm_rationale="A dog is an animal.",
)


def test_standard_rows_use_gold_or_teacher_labels():
    (gold,) = build_rows([EX], "standard")
    assert gold == TrainingRow("e1", EX.text, "entailment", 1.0, TASK_LABEL)
    (taught,) = build_rows([EX], "standard", teacher_labels={"e1": "neutral"})
    assert taught.target == "neutral" and taught.prompt == EX.text


def test_multitask_rows_are_the_two_dss_tasks():
    predict, explain = build_rows([EX], "multitask", rationales={"e1": "dog animal"}, options={"alpha": 0.3})
    assert predict == TrainingRow("e1", PREDICT_PREFIX + EX.text, "entailment", 0.3, TASK_LABEL)
    assert (explain.prompt, explain.target) == (EXPLAIN_PREFIX + EX.text, "dog animal")
    assert explain.task == TASK_RATIONALE
    assert explain.weight == pytest.approx(0.7)
    assert get_mode("multitask").prompt(EX) == predict.prompt


def test_prefixed_prompt_keeps_content_spans():
    shifted = EX.with_prefix(PREDICT_PREFIX)
    assert shifted.text == get_mode("multitask").prompt(EX)
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
    with pytest.raises(ValueError, match="unknown student mode"):
        build_rows([EX], "dss")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        build_rows([EX], "multitask", rationales={"e1": "x"}, options={"alpha": 1.5})


@pytest.mark.parametrize("mode", list_modes())
def test_every_mode_prompts_as_it_trains(mode):
    """The label row's prompt is the prompt used at inference, and every template string a
    mode adds is announced (a tokenizer trained from scratch must know it)."""
    impl = get_mode(mode)
    rationales = {"e1": "dog animal"}
    rows = build_rows([EX], mode, rationales=rationales)
    (label_row,) = [r for r in rows if r.task == TASK_LABEL]
    assert label_prompts([EX], mode, rationales) == [label_row.prompt]
    assert {r.task for r in rows} == impl.row_tasks
    used = {piece for piece in impl.template_texts if any(piece in r.prompt for r in rows)}
    if not impl.optional_tasks:  # a mode's optional task (its options add it) brings its own prompts
        assert used == set(impl.template_texts)
    assert set(impl.template_texts) <= set(template_texts())
