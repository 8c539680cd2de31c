"""The four extension points (tasks, attribution methods, student modes, rationale sources)
are one ``Registry`` type: the same listing order, the same errors, traits on the class."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tokendistill import attribution
from tokendistill.attribution.methods.simple import RandomControl
from tokendistill.rationales import sources
from tokendistill.rationales.sources.gold import GoldSource
from tokendistill.registry import Registry
from tokendistill.tasks import registry as tasks
from tokendistill.tasks.synthetic import SyntheticTask
from tokendistill.training import modes
from tokendistill.training.modes.standard import Standard


@dataclass(frozen=True)
class Point:
    """One extension point's public functions and a way to make a new entry of it."""

    kind: str
    register: Callable[[Any], Any]
    unregister: Callable[[str], None]
    get: Callable[[str], Any]
    names: Callable[[], list[str]]
    make: Callable[[str], Any]


def _subclass(base: type, name: str) -> type:
    return type(f"Extra{base.__name__}", (base,), {"name": name})


POINTS = [
    Point(
        "task",
        tasks.register_task,
        tasks.unregister_task,
        tasks.get_task,
        tasks.list_tasks,
        lambda n: _subclass(SyntheticTask, n)(),
    ),
    Point(
        "attribution method",
        attribution.register,
        attribution.unregister,
        attribution.method_class,
        attribution.list_methods,
        lambda n: _subclass(RandomControl, n),
    ),
    Point(
        "student mode",
        modes.register_mode,
        modes.unregister_mode,
        modes.get_mode,
        modes.list_modes,
        lambda n: _subclass(Standard, n)(),
    ),
    Point(
        "rationale source",
        sources.register_source,
        sources.unregister_source,
        sources.get_source,
        sources.list_sources,
        lambda n: _subclass(GoldSource, n)(),
    ),
]


@pytest.fixture(params=POINTS, ids=[p.kind for p in POINTS])
def point(request: pytest.FixtureRequest) -> Iterator[Point]:
    yield request.param
    for name in ("zz-first", "aa-second"):
        request.param.unregister(name)


def test_names_are_listed_in_registration_order(point: Point) -> None:
    before = point.names()
    point.register(point.make("zz-first"))
    point.register(point.make("aa-second"))
    assert point.names() == [*before, "zz-first", "aa-second"]
    point.unregister("zz-first")
    assert point.names() == [*before, "aa-second"]


def test_unknown_taken_and_nameless_names_fail_alike(point: Point) -> None:
    known = point.names()
    with pytest.raises(ValueError) as unknown:
        point.get("nope")
    assert str(unknown.value).startswith(f"unknown {point.kind} 'nope'; known: {known}")
    existing = point.get(known[0])
    with pytest.raises(ValueError, match=rf"^{point.kind} '{known[0]}' is already registered \("):
        point.register(point.make(known[0]))
    assert point.get(known[0]) is existing
    with pytest.raises(ValueError, match=rf"^{point.kind} .* has no name$"):
        point.register(point.make(""))


def test_build_checks_options_against_the_constructor() -> None:
    registry: Registry[type] = Registry("widget")
    registry.register(_subclass(RandomControl, "w"))
    assert registry.build("w", seed=3).seed == 3
    no_option = r"^widget 'w' has no option\(s\) \['sead'\]; its options: \['seed'\]$"
    with pytest.raises(ValueError, match=no_option):
        registry.build("w", sead=3)
    with pytest.raises(ValueError, match=r"^unknown widget 'x'; known: \['w'\]$"):
        registry.build("x")


TRAITS = {
    "attribution method": ("is_control", "uses_gradients", "multiplies_by_inputs", "depends_on_aggregation"),
    "student mode": (
        "needs_rationale",
        "rationale_at_inference",
        "template_texts",
        "row_tasks",
        "optional_tasks",
    ),
    "rationale source": ("needs_method", "selects_k", "uses_model", "options_model", "summary"),
}


@pytest.mark.parametrize("point", [p for p in POINTS if p.kind in TRAITS], ids=lambda p: p.kind)
def test_traits_are_class_attributes(point: Point) -> None:
    for name in point.names():
        entry = point.get(name)
        cls = entry if isinstance(entry, type) else type(entry)
        for trait in TRAITS[point.kind]:
            assert not isinstance(inspect.getattr_static(cls, trait), property), (name, trait)


def test_the_report_reads_is_control_without_building_a_method(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a method was built to read a trait")

    monkeypatch.setattr(RandomControl, "__init__", refuse)
    assert attribution.method_class("random").is_control
    assert [m for m in attribution.list_methods() if attribution.method_class(m).is_control] == ["random"]
