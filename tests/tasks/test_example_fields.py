"""What packages share about an example are typed ``Example`` fields; the prepare artifact
stores them (inside its ``meta`` column, under the keys it always used) and reads them back."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tokendistill.stages.prepare import examples_to_table, table_to_examples
from tokendistill.tasks import TaskConfig, load_task
from tokendistill.tasks.example import SHARED_KEYS, Evidence, Example, Shortcut


def _everything(example: Example) -> tuple:
    return tuple(getattr(example, f.name) for f in fields(example))


def test_typed_fields_round_trip_through_the_prepare_artifact(tmp_path: Path) -> None:
    _, data = load_task(
        TaskConfig(
            name="synthetic",
            llm_rationales=True,
            synthetic={"n_train": 40, "shortcut": 0.9, "cues_per_example": 2, "distractors": 0.2},
        )
    )
    plain = Example("p", "just text", ((0, 9),), "x", meta={"row": 3})
    examples = [*data.train, plain]
    assert all(e.evidence and e.shortcut and e.llm_rationale and e.llm_label for e in data.train)
    pq.write_table(examples_to_table(examples), tmp_path / "train.parquet")
    back = table_to_examples(pq.read_table(tmp_path / "train.parquet"))
    assert [_everything(e) for e in back] == [_everything(e) for e in examples]
    assert back[-1].evidence == () and back[-1].shortcut is None and back[-1].llm_rationale is None
    assert back[-1].meta == {"row": 3}


def test_the_stored_layout_is_the_one_of_meta_keys() -> None:
    example = Example(
        "a",
        "the cat north",
        ((0, 13),),
        "animal",
        meta={"row": 1},
        evidence=(Evidence("cat", 4, 7),),
        shortcut=Shortcut("north", True, 8, 13),
        llm_rationale="the word cat names a kind of animal.",
        llm_label="animal",
    )
    stored = json.loads(examples_to_table([example]).to_pylist()[0]["meta"])
    assert stored == {
        "row": 1,
        "evidence": [{"word": "cat", "start": 4, "end": 7}],
        "shortcut": {"word": "north", "agrees": True, "start": 8, "end": 13},
        "llm_rationale": "the word cat names a kind of animal.",
        "llm_label": "animal",
    }


@pytest.mark.parametrize("key", SHARED_KEYS)
def test_meta_may_not_hold_what_is_a_field(key: str) -> None:
    with pytest.raises(ValueError, match=f"meta key\\(s\\) \\['{key}'\\] are Example fields"):
        Example("a", "text", ((0, 4),), "y", meta={key: "x"})


def test_a_prefix_shifts_every_span() -> None:
    example = Example(
        "a",
        "the cat",
        ((0, 7),),
        "animal",
        evidence=(Evidence("cat", 4, 7),),
        shortcut=Shortcut("the", False, 0, 3),
    )
    shifted = example.with_prefix("explain: ")
    assert shifted.text[shifted.evidence[0].start : shifted.evidence[0].end] == "cat"
    assert shifted.text[shifted.shortcut.start : shifted.shortcut.end] == "the"
    assert shifted.content_spans == ((9, 16),)
