"""Built-in task texts match DSS's layout and template words are never content."""

from __future__ import annotations

import re

from tokendistill.tasks import Example, TaskConfig, get_task
from tokendistill.tasks.formatting import cqa_text, nli_text, split_svamp_input, svamp_text
from tokendistill.tasks.readers import Record


def content_words(example: Example) -> set[str]:
    return {m.group() for m in re.finditer(r"\S+", example.text) if example.is_content(m.start(), m.end())}


def template_words(text: str, spans) -> list[str]:
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return out


def make(task: str, fields: dict, **config) -> Example:
    record = Record("mem.jsonl", 1, 0, fields)
    return get_task(task).make_example(record, "train", TaskConfig(name=task, **config))


def test_cqa_text_is_dss_layout_and_template_is_not_content() -> None:
    question, choices = "Where do bums live?", ["bus depot", "beach", "train station", "bridge", "bridge"]
    c = choices
    dss = f"{question}\nAnswer Choices:\n(a) {c[0]}\n(b) {c[1]}\n(c) {c[2]}\n(d) {c[3]}\n(e) {c[4]}"
    text, spans = cqa_text(question, choices)
    assert text == dss
    assert [text[s:e] for s, e in spans] == [question, *choices]
    example = Example("x", text, spans, "bridge", tuple(choices))
    for word in ("Answer", "Choices:", "(a)", "(b)", "(e)"):
        start = text.index(word)
        assert not example.is_content(start, start + len(word)), word
    assert "".join(template_words(text, spans)) == "\nAnswer Choices:\n(a) \n(b) \n(c) \n(d) \n(e) "


def test_cqa_example_from_row() -> None:
    fields = {"id": "q1", "question": "Q?", "choices": ["a1", "b1", "c1", "d1", "e1"], "answer": "c1"}
    example = make("cqa", fields)
    assert example.id == "q1" and example.label == "c1" and example.choices == ("a1", "b1", "c1", "d1", "e1")
    assert content_words(example) == {"Q?", "a1", "b1", "c1", "d1", "e1"}


def test_nli_template_and_dss_join() -> None:
    text, spans = nli_text("A man sleeps.", "A person rests.")
    assert text == "Premise: A man sleeps.\nHypothesis: A person rests."
    assert [text[s:e] for s, e in spans] == ["A man sleeps.", "A person rests."]
    joined, jspans = nli_text("A man sleeps.", "A person rests.", join_with="</s>")
    assert joined == "A man sleeps.</s>A person rests."
    assert [joined[s:e] for s, e in jspans] == ["A man sleeps.", "A person rests."]


def test_nli_examples_map_labels_and_keep_template_out() -> None:
    fields = {"uid": "u1", "premise": "Cats purr.", "hypothesis": "Cats sound.", "label": 2, "reason": "r"}
    example = make("anli1", fields)
    assert example.label == "contradiction" and example.id == "u1" and example.meta["reason"] == "r"
    assert example.choices == ("entailment", "neutral", "contradiction")
    assert content_words(example) == {"Cats", "purr.", "sound."}
    joined = make(
        "esnli", {"premise": "P.", "hypothesis": "H.", "label": 0}, nli_input="join", nli_separator=" | "
    )
    assert joined.text == "P. | H." and joined.label == "entailment"


def test_svamp_body_and_question_are_content() -> None:
    text = "Luke scored 84 points in 2 rounds\nHow many points per round?"
    body, question = split_svamp_input(text)
    rebuilt, spans = svamp_text(body, question)
    assert rebuilt == text
    assert [rebuilt[s:e] for s, e in spans] == [body, question]
    example = make("svamp", {"input": text, "label": "( 84.0 / 2.0 )"})
    assert example.text == text and example.meta["answer"] == 42.0
    assert svamp_text("No question here", "") == ("No question here", ((0, 16),))
