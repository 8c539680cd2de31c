"""tokendistill: attribution-guided rationale distillation.

The Python API (``run``, ``load_config``, ``attribute``, ``explain``, ``export``,
``predict``; see ``tokendistill.api``) is importable from here and loaded on first use
(PEP 562), so ``import tokendistill`` imports nothing heavy and has no side effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "attribute", "explain", "export", "load_config", "predict", "run"]
_API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from tokendistill.api import attribute, explain, export, load_config, predict, run


def __getattr__(name: str) -> Any:
    if name in _API:
        from tokendistill import api

        return getattr(api, name)
    raise AttributeError(f"module 'tokendistill' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
