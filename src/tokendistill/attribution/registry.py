"""Name -> attribution method class: an explicit dict, filled by explicit ``register`` lines."""

from __future__ import annotations

import inspect
from typing import Any

from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.methods.gradient import InputXGradient, Saliency
from tokendistill.attribution.methods.integrated import IntegratedGradients
from tokendistill.attribution.methods.occlusion import LeaveOneOut
from tokendistill.attribution.methods.simple import Attention, RandomControl

_METHODS: dict[str, type[AttributionMethod]] = {}


def register(cls: type[AttributionMethod]) -> type[AttributionMethod]:
    """Add ``cls`` under ``cls.name``; refuses empty and duplicate names (usable as a decorator)."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} has no name")
    if cls.name in _METHODS:
        owner = _METHODS[cls.name].__qualname__
        raise ValueError(f"attribution method {cls.name!r} is already registered (by {owner})")
    _METHODS[cls.name] = cls
    return cls


def list_methods() -> list[str]:
    """Registered method names, in registration order."""
    return list(_METHODS)


def get_method(name: str, **options: Any) -> AttributionMethod:
    """An instance of method ``name`` configured with ``options``; unknown names/keys raise ValueError."""
    if name not in _METHODS:
        raise ValueError(f"unknown attribution method {name!r}; available: {list_methods()}")
    cls = _METHODS[name]
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(f"attribution method {name!r} has no option(s) {unknown}; its options: {accepted}")
    return cls(**options)


for _cls in (Saliency, InputXGradient, IntegratedGradients, Attention, LeaveOneOut, RandomControl):
    register(_cls)
