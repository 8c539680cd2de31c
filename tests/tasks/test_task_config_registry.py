"""TaskConfig validation and defaults, data-folder resolution, and the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tokendistill.tasks import (
    TaskConfig,
    UnknownTaskError,
    default_data_dir,
    get_task,
    list_tasks,
    register_task,
    resolve_task,
)
from tokendistill.tasks.config import DATA_ENV_VAR, repo_root
from tokendistill.tasks.custom import CustomTask
from tokendistill.tasks.synthetic import SyntheticTask

CUSTOM = {"train_file": "t.jsonl", "input_template": "Q: {q}", "label_field": "a"}


def test_builtin_defaults_are_filled() -> None:
    esnli = TaskConfig(name="esnli")
    assert (esnli.train_file, esnli.valid_file, esnli.test_file) == (
        "esnli_train_first10k.json",
        "esnli_valid.json",
        "esnli_test.json",
    )
    assert esnli.train_from == "train" and esnli.valid_fraction == 0.1 and esnli.split_seed == 0
    anli = TaskConfig(name="anli1")
    assert anli.train_from == "valid" and anli.train_file == "anli1_train.json"
    assert TaskConfig(name="cqa").valid_file is None
    assert TaskConfig(name="cqa", test_file="other.json").test_file == "other.json"


def test_max_examples_accepts_one_number_or_per_split() -> None:
    assert TaskConfig(name="cqa", max_examples=5).max_examples.model_dump() == {
        "train": 5,
        "valid": 5,
        "test": 5,
    }
    assert TaskConfig(name="cqa", max_examples={"test": 2}).max_examples.train is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "cqa", "train_form": "valid"}, "train_form"),
        ({"name": "cqa", "train_from": "valid"}, "train_from 'valid' needs a valid file"),
        ({"name": "esnli", "train_from": "test"}, "would train on the test set"),
        ({"name": "cqa", "valid_fraction": 1.0}, "valid_fraction"),
        ({"name": "cqa", "source": "web"}, "source"),
        ({"name": "cqa", "nli_input": "join"}, "only apply to the NLI tasks"),
        ({"name": "mine", "custom": CUSTOM, "source": "hub"}, "source 'hub' only applies"),
        ({"name": "mine", "custom": CUSTOM, "train_file": "x"}, "only apply to the built-in tasks"),
        ({"name": "cqa", "custom": CUSTOM}, "is a built-in task"),
        ({"name": "mine", "synthetic": {}}, "needs name 'synthetic'"),
        ({"name": "synthetic", "synthetic": {"min_words": 9, "max_words": 5}}, "above max_words"),
        ({"name": "x", "custom": {**CUSTOM, "input_template": "no fields"}}, "has no {field}"),
        ({"name": "x", "custom": {**CUSTOM, "input_template": "{q.attr}"}}, "plain field name"),
        ({"name": "x", "custom": {**CUSTOM, "input_template": "{q"}}, "malformed"),
        ({"name": "x", "custom": {**CUSTOM, "metric": "choice"}}, "needs choices_field or label_set"),
        ({"name": "x", "custom": {**CUSTOM, "metric": "bleu"}}, "metric"),
        ({"name": "x", "custom": {**CUSTOM, "train_file": None}}, "at least train_file or test_file"),
        ({"name": "x", "custom": {**CUSTOM, "label_set": ["a", "a"]}}, "without repeats"),
    ],
)
def test_invalid_configs_say_what_is_wrong(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace("{", r"\{")):
        TaskConfig(**fields)


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert default_data_dir() == tmp_path
    assert TaskConfig(name="cqa").resolved_data_dir() == tmp_path
    assert TaskConfig(name="cqa", data_dir=tmp_path / "x").resolved_data_dir() == tmp_path / "x"
    monkeypatch.delenv(DATA_ENV_VAR)
    root = repo_root()
    assert root is not None and (root / "src" / "tokendistill").is_dir()
    assert default_data_dir() == (root / ".." / "shared" / "data").resolve()


def test_registry_lists_and_refuses() -> None:
    assert {"anli1", "cqa", "esnli", "svamp", "synthetic"} <= set(list_tasks())
    assert get_task("cqa").name == "cqa"
    assert get_task("anli1").label_set == ("entailment", "neutral", "contradiction")
    assert get_task("cqa").label_set is None and get_task("svamp").label_set is None
    with pytest.raises(UnknownTaskError, match=r"unknown task 'nope'; known: \[.*'cqa'.*\]"):
        get_task("nope")
    with pytest.raises(ValueError, match="already registered"):
        register_task(SyntheticTask())


def test_resolve_task() -> None:
    assert resolve_task(TaskConfig(name="svamp")) is get_task("svamp")
    custom = resolve_task(TaskConfig(name="mine", custom=CUSTOM))
    assert isinstance(custom, CustomTask) and custom.name == "mine" and custom.label_set is None
    with pytest.raises(UnknownTaskError, match="custom"):
        resolve_task(TaskConfig(name="mine"))


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "cqa"},
        {"name": "anli1", "max_examples": 3},
        {"name": "esnli", "nli_input": "join", "nli_separator": " | "},
        {"name": "synthetic", "synthetic": {"seed": 2}},
        {"name": "mine", "data_dir": "some/dir", "custom": CUSTOM},
    ],
)
def test_config_round_trips_through_json(fields: dict) -> None:
    config = TaskConfig(**fields)
    again = TaskConfig.model_validate_json(config.model_dump_json())
    assert again == config
