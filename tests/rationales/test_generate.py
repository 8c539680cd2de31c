"""The ``generate`` source: few-shot chain-of-thought rationales by a local model, parsed as
DSS parses PaLM's, cached as keyed artifacts and resumed after a kill.

The writer (``rationale_writer``, tests/conftest.py) is a tiny causal model trained for a
few seconds on the prompt format (a random one never writes "So the answer is"), saved as a
local folder: any local model works.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.rationales import generation
from tokendistill.rationales.generation import demo_rationale, parse
from tokendistill.rationales.sources import SourceRequest, get_source
from tokendistill.rationales.sources.generate import GENERATED, GenerateOptions
from tokendistill.runtime.context import RunContext
from tokendistill.tasks.llm_rationales import LLMOutput

HAND_WRITTEN = {"input": "a dog ran", "rationale": "a dog is an animal.", "answer": "animal"}


def _options(writer, **extra) -> GenerateOptions:
    settings = {
        "model": writer.folder,
        "shots": 2,
        "demonstrations": [HAND_WRITTEN],
        "prompt": writer.instruction,
    }
    return GenerateOptions.model_validate({**settings, "batch_size": 4, "max_new_tokens": 24, **extra})


def _request(ctx: RunContext, options: GenerateOptions, examples: list) -> SourceRequest:
    def cache(name, determinants, produce):
        return ctx.build(ctx.artifact("rationales", name, determinants), produce)

    return SourceRequest(examples, "train", train_examples=examples, options=options, cache=cache)


def test_completions_are_parsed_as_dss_parses_palms() -> None:
    text = "Cats hunt mice. So the answer is (b) animal.\n\nQ: what is red?"
    assert parse(text) == LLMOutput("Cats hunt mice.", "animal")
    assert parse("it is red. so the answer is color") == LLMOutput("it is red.", "color")
    assert parse("no marker here") == LLMOutput("", "") == parse("So the answer is a. So the answer is b.")
    assert demo_rationale("Bread is food. So the answer is food.\n\nQ: next") == "Bread is food."


def test_one_parsed_rationale_per_example_resumed_after_a_kill(
    rationale_writer, tmp_path: Path, monkeypatch
) -> None:
    source, options = get_source("generate"), _options(rationale_writer)
    calls: list[int] = []
    real = generation.generate_texts

    def killed_on_the_second_part(adapter, prompts, **kwargs):
        calls.append(len(prompts))
        if len(calls) == 2:
            raise KeyboardInterrupt  # what a kill leaves: the first part on disk, nothing else
        return real(adapter, prompts, **kwargs)

    ctx = RunContext(tmp_path / "run")
    monkeypatch.setattr(generation, "generate_texts", killed_on_the_second_part)
    with pytest.raises(KeyboardInterrupt):
        source.rationales(_request(ctx, options, rationale_writer.examples))
    (parts,) = (tmp_path / "run" / "rationales").glob("generate-train-*.work/parts")
    assert [p.name for p in parts.iterdir()] == ["part-000000.jsonl"]

    def counted(adapter, prompts, **kwargs):
        calls.append(len(prompts))
        return real(adapter, prompts, **kwargs)

    calls.clear()
    monkeypatch.setattr(generation, "generate_texts", counted)
    resumed = source.rationales(_request(RunContext(tmp_path / "run"), options, rationale_writer.examples))
    assert calls == [16]  # the second part only
    fresh = source.rationales(_request(RunContext(tmp_path / "fresh"), options, rationale_writer.examples))
    assert resumed == fresh and list(resumed) == [e.id for e in rationale_writer.examples]
    assert all(text.startswith("the word") for text in resumed.values()), list(resumed.values())[:5]
    (folder,) = (tmp_path / "run" / "rationales").glob("generate-train-*[!k]")
    rows = generation.read_jsonl(folder / GENERATED)
    assert all(row["parsed"] and row["label"] in {"animal", "color", "food", "tool"} for row in rows)


def test_demonstrations_are_hand_written_first_then_rationalized(rationale_writer, tmp_path) -> None:
    ctx = RunContext(tmp_path / "run")
    get_source("generate").rationales(
        _request(ctx, _options(rationale_writer, shots=3), rationale_writer.examples)
    )
    (folder,) = (tmp_path / "run" / "rationales").glob("generate-demonstrations-*")
    shots = (folder / "demonstrations.json").read_text()
    assert shots.count('"answer"') == 3 and "a dog is an animal." in shots


def test_the_source_validates_its_own_options() -> None:
    student = {"name": "gen", "mode": "multitask"}

    def config(rationale: dict) -> dict:
        return {
            "run_dir": "runs/x",
            "task": {"name": "synthetic"},
            "teacher": {"model": {"name": "tiny-causal"}},
            "student_model": {"name": "tiny-causal"},
            "students": [{**student, "rationale": rationale}],
        }

    ok = validate_config(config({"source": "generate", "model": "tiny-causal", "shots": 1}), Config)
    options = ok.students[0].rationale.source_options()
    assert isinstance(options, GenerateOptions) and options.model.name == "tiny-causal"
    for rationale, where in (
        ({"source": "generate", "model": "tiny-causal", "shots": -1}, ("shots",)),
        ({"source": "generate", "model": "tiny-causal", "bogus": 1}, ("bogus",)),
        ({"source": "generate"}, ("model",)),
        ({"source": "random", "shots": 2}, ("shots",)),
    ):
        with pytest.raises(ValidationError) as err:
            Config.model_validate(config(rationale))
        assert err.value.errors()[0]["loc"] == ("students", 0, "rationale", *where)
