"""Parsing of model specs: ``<base>[:layers=N | :layers=first:N]``.

The base is a hub name (``owner/name``), a local folder, or a packaged short name; the
optional suffix asks for a shallower student cut from the loaded model (see
``layer_cut.py``). Parsing is kept apart from loading so that bad suffixes fail before
anything large is downloaded or read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from tokendistill.models.errors import ModelSpecError

_SUFFIX = re.compile(r"^(?P<base>.+):layers=(?P<value>[^:]*(?::[^:]*)?)$")
_OPTION = re.compile(r":(?P<name>[A-Za-z_]+)=")


@dataclass(frozen=True)
class LayerSelection:
    """Which transformer blocks to keep.

    ``spread`` keeps ``count`` blocks evenly spaced over the stack, always the first and
    the last (DistilBERT-style initialisation: the kept blocks still see inputs shaped
    like the ones they were trained on, and the last block still feeds the head).
    ``first`` keeps the bottom ``count`` blocks.
    """

    count: int
    mode: Literal["spread", "first"] = "spread"

    def indices(self, total: int) -> list[int]:
        """Indices (ascending, unique) of the blocks kept out of ``total``."""
        if self.count > total:
            raise ModelSpecError(f"cannot keep {self.count} layers of a stack that has only {total}.")
        if self.mode == "first" or self.count == 1:
            return list(range(self.count))
        # Evenly spaced with both ends included; rounding keeps them unique because count <= total.
        step = (total - 1) / (self.count - 1)
        return [math.floor(i * step + 0.5) for i in range(self.count)]

    def __str__(self) -> str:
        return f"layers=first:{self.count}" if self.mode == "first" else f"layers={self.count}"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: where the model comes from, and whether to cut layers afterwards."""

    base: str
    layers: LayerSelection | None = None


def parse_spec(spec: str) -> ModelSpec:
    """Split ``spec`` into base and layer selection; raise ModelSpecError on a malformed suffix."""
    spec = spec.strip()
    if not spec:
        raise ModelSpecError(
            "the model spec is empty; give a hub name, a local folder or a packaged short name."
        )
    match = _SUFFIX.match(spec)
    if match is None:
        option = _OPTION.search(spec)
        if option is not None and option.group("name") != "layers":
            raise ModelSpecError(
                f"unknown option ':{option.group('name')}=' in model spec '{spec}'; "
                "the only option is ':layers=N' or ':layers=first:N'."
            )
        return ModelSpec(base=spec)
    base, value = match.group("base"), match.group("value")
    mode: Literal["spread", "first"] = "spread"
    if value.startswith("first:"):
        mode, value = "first", value.removeprefix("first:")
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ModelSpecError(
            f"bad layer cut ':layers={match.group('value')}' in model spec '{spec}'; "
            "use ':layers=N' or ':layers=first:N' with N a positive whole number."
        )
    return ModelSpec(base=base, layers=LayerSelection(count=int(value), mode=mode))
