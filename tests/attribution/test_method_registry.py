"""The registry, method traits and option validation."""

from __future__ import annotations

import pytest

from tokendistill.attribution import (
    AttributionMethod,
    AttributionSettings,
    get_method,
    list_methods,
    method_class,
    register,
)
from tokendistill.attribution.methods.gradient import Saliency

ALL = ["saliency", "input_x_gradient", "integrated_gradients", "attention", "leave_one_out", "random"]


def test_all_methods_registered_in_order() -> None:
    assert list_methods() == ALL


def test_register_refuses_duplicates_and_nameless() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(Saliency)

    class Nameless(Saliency):
        name = ""

    with pytest.raises(ValueError, match="no name"):
        register(Nameless)


def test_unknown_method_and_option_fail_loudly() -> None:
    with pytest.raises(ValueError, match="unknown attribution method 'salency'"):
        get_method("salency")
    with pytest.raises(ValueError, match=r"no option\(s\) \['nsteps'\]"):
        get_method("integrated_gradients", nsteps=8)
    with pytest.raises(ValueError, match="reduction"):
        get_method("saliency", norm="sum")
    with pytest.raises(ValueError, match="baseline"):
        get_method("integrated_gradients", baseline="unk")


@pytest.mark.parametrize(
    ("name", "gradients", "by_inputs", "by_aggregation"),
    [
        ("saliency", True, False, True),
        ("input_x_gradient", True, True, True),
        ("integrated_gradients", True, True, True),
        ("attention", False, False, False),
        ("leave_one_out", False, False, False),
        ("random", False, False, False),
    ],
)
def test_traits(name: str, gradients: bool, by_inputs: bool, by_aggregation: bool) -> None:
    method = method_class(name)  # traits are class attributes: no instance needed
    assert issubclass(method, AttributionMethod) and method.name == name
    assert isinstance(get_method(name), method)
    assert method.uses_gradients is gradients
    assert method.multiplies_by_inputs is by_inputs
    assert method.depends_on_aggregation is by_aggregation


def test_config_validation() -> None:
    for bad in ({"target": "student"}, {"attributed_fn": "prob"}, {"aggregation": "mean"}, {"batch_size": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            AttributionSettings(**bad)
    assert AttributionSettings().settings_dict()["aggregation"] == "sequence"
