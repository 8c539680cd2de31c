"""An input longer than the model's window is reported before the run and cut by the
configured policy; the default keeps its beginning and its end (the answer choices)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.errors import PromptTooLong
from tokendistill.models.build import load_adapter
from tokendistill.models.prompts import kept_positions
from tokendistill.preflight import preflight
from tokendistill.tasks import Example, TaskData
from tokendistill.training.corpus import corpus

from .helpers import Case, rows

CHOICES = "(a) apple (b) banana (c) cherry"


def long_question_task(tmp_path: Path, truncation: str | None = None) -> tuple[Config, str]:
    """The base world plus one 50,000-character question whose answer choices come last."""
    question = ("the quick brown fox jumps over the lazy dog " * 1200)[:50_000]
    long_row = {"id": "long", "question": question, "choices": CHOICES, "answer": "odd"}
    train = [{**r, "choices": CHOICES} for r in rows(19)] + [long_row]
    test = [{**r, "choices": CHOICES} for r in rows(6, start=100)]
    files = {
        name: "".join(json.dumps(r) + "\n" for r in items)
        for name, items in [("train.jsonl", train), ("test.jsonl", test)]
    }
    settings = {"task.custom.input_template": "Question: {question}\nChoices: {choices}"}
    if truncation is not None:
        settings["teacher.model.truncation"] = truncation
    world, _ = Case("long", "", set=settings, files=files).build(tmp_path)
    config = validate_config(yaml.safe_load(world.config.read_text()), Config)
    return config, question


def _long(data: TaskData) -> Example:
    (example,) = [ex for split in ("train", "valid", "test") for ex in data.split(split) if ex.id == "long"]
    return example


def test_a_long_input_is_reported_with_its_count_and_id(tmp_path: Path) -> None:
    config, _ = long_question_task(tmp_path)
    out = io.StringIO()
    checked = preflight(config, Console(file=out, width=1000))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # one report per model: the teacher's and the student's tokenizer
    assert lines[0].startswith(
        "warning: 1 of 26 inputs have more tokens than teacher.model.max_prompt_tokens (512); "
    )
    assert lines[0].endswith(": they are cut by teacher.model.truncation = 'middle'")
    assert "the longest, example 'long', has " in lines[0]
    assert lines[1].startswith(
        "warning: 1 of 26 inputs have more tokens than student_model.max_prompt_tokens"
    )
    assert _long(checked.data).text.endswith(CHOICES)


@pytest.mark.parametrize(
    ("policy", "keeps_start", "keeps_choices"),
    [("middle", True, True), ("left", False, True), ("right", True, False)],
)
def test_the_policy_decides_what_stays(
    tmp_path: Path, policy: str, keeps_start: bool, keeps_choices: bool
) -> None:
    config, question = long_question_task(tmp_path, policy)
    data = preflight(config, Console(file=io.StringIO())).data
    adapter = load_adapter(config.teacher.model, corpus=corpus(data))
    example = _long(data)
    batch = adapter.encode([example.text])
    kept = [o for o in batch.prompt_offsets[0] if o is not None]
    assert len(batch.prompt_ids[0]) == config.teacher.model.max_prompt_tokens
    text = example.text
    assert (kept[0][0] == 0) is keeps_start  # "Question: ..." is the first piece kept
    assert (kept[-1][1] == len(text)) is keeps_choices  # "... (c) cherry" is the last
    if keeps_choices:
        choices = text.index("Choices:")
        assert all(
            any(s <= i < e for s, e in kept) for i in range(choices, len(text)) if not text[i].isspace()
        )
    # The offsets still point into the full text, so the kept words are where they were.
    assert all(text[s:e].strip() for s, e in kept)
    assert len(question) == 50_000


def test_the_error_policy_refuses_to_cut(tmp_path: Path) -> None:
    config, _ = long_question_task(tmp_path)
    model = config.teacher.model.model_copy(update={"truncation": "error"})
    data = preflight(config, Console(file=io.StringIO())).data
    adapter = load_adapter(model, corpus=corpus(data))
    example = _long(data)
    with pytest.raises(PromptTooLong, match="truncation is 'error'"):
        adapter.encode([example.text])
    assert adapter.encode([data.train[0].text]).prompt_ids.shape[0] == 1  # short ones pass


@pytest.mark.parametrize(
    ("policy", "kept"),
    [
        ("right", [0, 1, 2, 3, 9]),
        ("left", [0, 6, 7, 8, 9]),
        ("middle", [0, 1, 2, 8, 9]),
    ],
)
def test_special_tokens_stay_and_the_body_is_cut(policy: str, kept: list[int]) -> None:
    special = [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]  # BOS, eight tokens, EOS
    assert kept_positions(special, 5, policy) == kept
    assert kept_positions(special, 10, policy) == list(range(10))
