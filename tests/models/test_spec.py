"""Model spec parsing and layer selection."""

from __future__ import annotations

import pytest

from tokendistill.errors import ModelSpecError
from tokendistill.models.spec import LayerSelection, ModelSpec, parse_spec


def assert_one_sentence(err: pytest.ExceptionInfo[ModelSpecError]) -> str:
    message = str(err.value)
    assert "\n" not in message
    assert message.endswith(".")
    assert ". " not in message, message
    return message


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("google/flan-t5-xl", ModelSpec("google/flan-t5-xl")),
        ("smollm2-135m:layers=6", ModelSpec("smollm2-135m", LayerSelection(6))),
        ("smollm2-135m:layers=first:4", ModelSpec("smollm2-135m", LayerSelection(4, "first"))),
        ("/data/run:1/student:layers=2", ModelSpec("/data/run:1/student", LayerSelection(2))),
        ("  ./runs/student  ", ModelSpec("./runs/student")),
    ],
)
def test_parse_spec(spec: str, expected: ModelSpec) -> None:
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "m:layers=",
        "m:layers=0",
        "m:layers=abc",
        "m:layers=-2",
        "m:layers=first:",
        "m:layers=first:x",
        "m:layers=2:3",
        "m:layers=²",
        "m:layer=3",
        "",
    ],
)
def test_bad_specs_are_one_sentence(spec: str) -> None:
    with pytest.raises(ModelSpecError) as err:
        parse_spec(spec)
    assert_one_sentence(err)


def test_spread_keeps_first_and_last_evenly() -> None:
    assert LayerSelection(6).indices(30) == [0, 6, 12, 17, 23, 29]
    assert LayerSelection(3).indices(6) == [0, 3, 5]  # 2.5 rounds half up
    assert LayerSelection(1).indices(12) == [0]
    assert LayerSelection(4).indices(4) == [0, 1, 2, 3]


def test_spread_is_always_valid() -> None:
    for total in range(1, 41):
        for count in range(1, total + 1):
            kept = LayerSelection(count).indices(total)
            assert len(kept) == count
            assert kept == sorted(set(kept))
            assert kept[0] == 0
            if count > 1:
                assert kept[-1] == total - 1


def test_first_mode() -> None:
    assert LayerSelection(3, "first").indices(10) == [0, 1, 2]


def test_more_layers_than_the_model_has() -> None:
    with pytest.raises(ModelSpecError) as err:
        LayerSelection(8).indices(6)
    assert "only 6" in assert_one_sentence(err)


def test_str_round_trips() -> None:
    for selection in (LayerSelection(6), LayerSelection(2, "first")):
        assert parse_spec(f"m:{selection}").layers == selection
