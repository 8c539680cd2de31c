"""``TaskConfig``: which task to load, from where, and how to split and trim it.

Every default lives here once: the per-task file names (``BUILTIN_FILES``), where the data
folder is looked for, the hold-out fraction and seed. Unknown keys are refused so a typo
fails with the key's name instead of silently falling back to a default.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tokendistill.tasks.custom_config import CustomTaskConfig

Split = Literal["train", "valid", "test"]
SPLITS: tuple[Split, ...] = ("train", "valid", "test")

# Where the data folder is looked for when `data_dir` is not set.
DATA_ENV_VAR = "TOKENDISTILL_DATA"
DEFAULT_DATA_RELATIVE_TO_REPO = "../shared/data"

# File names of the DSS release per built-in task (relative to <data_dir>/<task>/).
# e-SNLI train is the first 10,000 rows only (see SOURCES.md); ANLI-R1 train is absent,
# so ANLI defaults to the small-data mode that trains on the dev file.
BUILTIN_FILES: dict[str, dict[str, str | None]] = {
    "anli1": {
        "train_file": "anli1_train.json",
        "valid_file": "anli1_valid.json",
        "test_file": "anli1_test.json",
    },
    "cqa": {"train_file": "cqa_train.json", "valid_file": None, "test_file": "cqa_test.json"},
    "esnli": {
        "train_file": "esnli_train_first10k.json",
        "valid_file": "esnli_valid.json",
        "test_file": "esnli_test.json",
    },
    "svamp": {"train_file": "svamp_train.json", "valid_file": None, "test_file": "svamp_test.json"},
}
BUILTIN_TRAIN_FROM: dict[str, Split] = {"anli1": "valid"}
NLI_TASKS = ("anli1", "esnli")
FILE_FIELDS = ("train_file", "valid_file", "test_file")
# A task name becomes a folder name in the run directory: one plain path component.
TASK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaxExamples(_Strict):
    """Upper bounds per split, applied after splitting by taking the first n (deterministic)."""

    train: int | None = Field(None, ge=0, description="keep the first N train examples")
    valid: int | None = Field(None, ge=0, description="keep the first N valid examples")
    test: int | None = Field(None, ge=0, description="keep the first N test examples")

    @model_validator(mode="before")
    @classmethod
    def _one_number_for_all(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"train": value, "valid": value, "test": value}
        return value


class SyntheticConfig(_Strict):
    """Sizes, seed and knobs of the generated ``synthetic`` task (see ``tasks/synthetic.py``).

    The defaults give the plain task: cue words (all of the label's class) among fillers. The
    knobs make it a testbed for when a teacher's tokens help a student: distractors are neutral
    nouns that never carry the label (content that looks like evidence); the shortcut word
    names the label with probability ``shortcut`` (otherwise a random label's word) in the
    students' train and valid splits only, and is drawn independently of the label in test and
    in the teacher's own splits, which carry no shortcut signal.
    """

    n_train: int = Field(800, ge=0, description="the students' training examples")
    n_valid: int = Field(100, ge=0, description="the students' validation examples")
    n_test: int = Field(200, ge=0, description="test examples")
    seed: int = Field(0, description="the generator's seed")
    min_words: int = Field(10, ge=2, le=64, description="the fewest words of an input")
    max_words: int = Field(16, ge=2, le=64, description="the most words of an input")
    n_labels: int = Field(4, ge=2, le=4, description="how many classes")
    cues_per_example: int = Field(1, ge=1, le=3, description="evidence words planted per example")
    distractors: float = Field(0.0, ge=0.0, lt=1.0, description="share of filler positions given to nouns")
    shortcut: float | None = Field(
        None, ge=0.0, le=1.0, description="how often the shortcut word names the label (null: none)"
    )
    teacher_train: int = Field(0, ge=0, description="the teacher's own training examples (0: the students')")
    teacher_valid: int = Field(0, ge=0, description="the teacher's own validation examples")

    @model_validator(mode="after")
    def _lengths(self) -> SyntheticConfig:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) is above max_words ({self.max_words})")
        if self.cues_per_example >= self.min_words:
            raise ValueError("cues_per_example must be below min_words: filler words carry no label")
        if self.teacher_train and not self.teacher_valid:
            raise ValueError("teacher_train needs teacher_valid: the teacher is selected on its own split")
        return self


class TaskConfig(_Strict):
    """Which task to load and how. Built-in file names are filled in from ``BUILTIN_FILES``."""

    name: str = Field(min_length=1, description="a registered task (tokendistill tasks), or your task's name")
    data_dir: Path | None = Field(
        None, description="the folder of the task's files (default: $TOKENDISTILL_DATA)"
    )
    source: Literal["local", "hub"] = Field(
        "local", description="built-in tasks: read the data folder or the Hugging Face hub"
    )
    train_file: str | None = Field(None, description="built-in tasks: another training file")
    valid_file: str | None = Field(None, description="built-in tasks: another validation file")
    test_file: str | None = Field(None, description="built-in tasks: another test file")
    train_from: Split | None = Field(None, description="which file plays train; 'valid' holds out from it")
    valid_fraction: float = Field(
        0.1, ge=0.0, lt=1.0, description="share of train held out for validation when there is no valid file"
    )
    split_seed: int = Field(0, description="the seed of the held-out splits")
    max_examples: MaxExamples = Field(
        default_factory=MaxExamples, description="trim each split to its first N examples (a number: all)"
    )
    teacher_max_train: int | None = Field(
        None,
        ge=1,
        description="the teacher trains on the first N train rows; max_examples.train trims the students'",
    )
    llm_rationales: bool = Field(
        False, description="load the LLM rationales the data carry (dss-palm students)"
    )
    nli_input: Literal["template", "join"] = Field(
        "template", description="NLI tasks: premise and hypothesis in a template, or joined by nli_separator"
    )
    nli_separator: str = Field("</s>", description="NLI tasks: what joins premise and hypothesis")
    custom: CustomTaskConfig | None = Field(None, description="your own task's files and fields")
    synthetic: SyntheticConfig | None = Field(None, description="the generated synthetic task's settings")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not TASK_NAME.match(name):
            raise ValueError(
                f"task name {name!r} must be a plain name of at most 64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit: it names folders of the run directory"
            )
        return name

    @model_validator(mode="after")
    def _fill_and_check(self) -> TaskConfig:
        if self.name in BUILTIN_FILES:
            self._fill_builtin()
        else:
            self._check_not_builtin()
        nli_keys = [key for key in ("nli_input", "nli_separator") if getattr(self, key) != _default(key)]
        if nli_keys and self.name not in NLI_TASKS:
            raise ValueError(f"{sorted(nli_keys)} only apply to the NLI tasks {list(NLI_TASKS)}")
        if self.teacher_max_train is not None and self.name not in BUILTIN_FILES:
            raise ValueError(
                f"teacher_max_train applies to the built-in tasks {sorted(BUILTIN_FILES)}"
                " (the synthetic task has synthetic.teacher_train)"
            )
        if self.train_from == "test":
            raise ValueError("train_from 'test' would train on the test set; use 'train' or 'valid'")
        if self.train_from == "valid" and self.valid_file is None:
            raise ValueError(f"train_from 'valid' needs a valid file, and task {self.name!r} has none")
        return self

    def _fill_builtin(self) -> None:
        if self.custom is not None or self.synthetic is not None:
            raise ValueError(
                f"{self.name!r} is a built-in task; a custom or synthetic task needs another name"
            )
        for key, default in BUILTIN_FILES[self.name].items():
            if getattr(self, key) is None:
                setattr(self, key, default)
        if self.train_from is None:
            self.train_from = BUILTIN_TRAIN_FROM.get(self.name, "train")

    def _check_not_builtin(self) -> None:
        set_files = [key for key in FILE_FIELDS if getattr(self, key) is not None]
        if set_files:
            raise ValueError(f"{set_files} only apply to the built-in tasks {sorted(BUILTIN_FILES)}")
        if self.source == "hub":
            raise ValueError(f"source 'hub' only applies to the built-in tasks {sorted(BUILTIN_FILES)}")
        if self.name == "synthetic":
            if self.custom is not None:
                raise ValueError("task 'synthetic' is generated; remove the `custom` section")
            if self.synthetic is None:
                self.synthetic = SyntheticConfig()
        elif self.synthetic is not None:
            raise ValueError(f"a `synthetic` section needs name 'synthetic', got {self.name!r}")
        if self.train_from is None:
            self.train_from = "train"

    def resolved_data_dir(self) -> Path:
        """``data_dir`` if set, else ``default_data_dir()``."""
        return self.data_dir.expanduser() if self.data_dir is not None else default_data_dir()


def _default(field: str) -> object:
    return TaskConfig.model_fields[field].default


def repo_root() -> Path | None:
    """The folder holding this checkout's pyproject.toml, or None when installed elsewhere."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def default_data_dir() -> Path:
    """``$TOKENDISTILL_DATA`` if set, else ``<repo root>/../shared/data``.

    The repo root is found from this file; outside a checkout the current folder stands in.
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env).expanduser()
    root = repo_root()
    base = root if root is not None else Path.cwd()
    return (base / DEFAULT_DATA_RELATIVE_TO_REPO).resolve()
