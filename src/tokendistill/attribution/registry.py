"""Name -> attribution method class: one ``Registry``, filled by explicit ``register`` lines.

The registry holds classes, so a method's traits (``is_control``, ``uses_gradients``, ...)
are read from ``method_class(name)`` without building one; ``get_method`` builds an instance
with its options checked against the constructor.
"""

from __future__ import annotations

from typing import Any

from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.methods.gradient import InputXGradient, Saliency
from tokendistill.attribution.methods.integrated import IntegratedGradients
from tokendistill.attribution.methods.occlusion import LeaveOneOut
from tokendistill.attribution.methods.simple import Attention, RandomControl
from tokendistill.registry import Registry

_METHODS: Registry[type[AttributionMethod]] = Registry("attribution method")
register = _METHODS.register
unregister = _METHODS.unregister
list_methods = _METHODS.names
method_class = _METHODS.get


def get_method(name: str, **options: Any) -> AttributionMethod:
    """An instance of method ``name`` configured with ``options``; unknown names/keys raise ValueError."""
    return _METHODS.build(name, **options)


for _cls in (Saliency, InputXGradient, IntegratedGradients, Attention, LeaveOneOut, RandomControl):
    register(_cls)
