"""Model specs: ``<base>[:layers=N | :layers=first:N]``, parsed and classified without loading.

The base is one of four kinds (``spec_kind``), in this order of precedence:

1. ``tiny``: ``tiny-causal`` / ``tiny-seq2seq``, small models initialised here from scratch
   with a tokenizer trained on the task's text (demos and tests);
2. ``packaged``: a packaged short name (``minilm-encdec``, ``smollm2-135m``; see
   ``packaged.py``), which works without the Hugging Face Hub;
3. ``local``: an existing folder saved with ``save_pretrained``;
4. ``hub``: a Hub name ``owner/name``. Bare names are reserved for packaged models so that a
   typo in a short name fails at once with the list of known names instead of becoming a
   Hub request.

The optional suffix asks for a shallower student cut from the loaded model (see
``layer_cut.py``). ``check_spec`` does all of this before anything large is read, so a
config with a bad spec fails when it is validated, not hours into a run.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tokendistill.errors import ModelSpecError
from tokendistill.models.packaged import PACKAGED, known_names

SpecKind = Literal["tiny", "packaged", "local", "hub"]
TINY_NAMES: tuple[str, ...] = ("tiny-causal", "tiny-seq2seq")

# Config fields that hold a stack's depth (see layer_cut.py), read from a folder's config.json.
_DEPTH_KEYS = (
    "num_hidden_layers", "n_layer", "num_layers", "num_decoder_layers", "decoder_layers",
    "encoder_layers", "num_encoder_layers",
)  # fmt: skip
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


def spec_kind(spec: ModelSpec) -> SpecKind:
    """Which kind of model ``spec.base`` names; ModelSpecError when it names none."""
    base = spec.base
    if base in TINY_NAMES:
        return "tiny"
    if base in known_names():
        return "packaged"
    if Path(base).expanduser().exists():
        return "local"
    check_hub_name(base)
    return "hub"


def check_spec(text: str) -> tuple[ModelSpec, SpecKind]:
    """``parse_spec`` plus the kind check: the spec a loader can be handed and its kind
    (ModelSpecError if there is none).

    A ``:layers=N`` cut deeper than the model is refused here when the depth is known
    without loading anything: packaged models, and local folders whose config.json names it.
    A Hub model's depth is only known once it is loaded.
    """
    spec = parse_spec(text)
    kind = spec_kind(spec)
    if kind == "tiny" and spec.layers is not None:
        raise ModelSpecError(
            f"'{text}': tiny models are built with tiny_layers blocks; a ':layers=' cut does not apply."
        )
    depth = known_depth(spec.base, kind)
    if spec.layers is not None and depth is not None and spec.layers.count > depth:
        raise ModelSpecError(
            f"'{text}': {spec.base} has only {depth} blocks per stack, "
            f"so ':layers=' can keep at most {depth}."
        )
    return spec, kind


def known_depth(base: str, kind: SpecKind) -> int | None:
    """Blocks per stack (the shallowest stack) of a packaged model or a local folder, or
    None where that is unknown without loading the model."""
    if kind == "packaged":
        return PACKAGED[base].layers
    if kind != "local":
        return None
    try:
        config = json.loads((Path(base).expanduser() / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # the loader names what is wrong with the folder
    if not isinstance(config, dict):
        return None
    sections = [config, *(config.get(part) for part in ("encoder", "decoder"))]
    depths = [
        value
        for section in sections
        if isinstance(section, dict)
        for key, value in section.items()
        if key in _DEPTH_KEYS and isinstance(value, int) and value > 0
    ]
    return min(depths) if depths else None


def check_hub_name(base: str) -> str:
    """``base`` if it is a well-formed Hub name ``owner/name``; ModelSpecError otherwise."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if "/" not in base and "\\" not in base:
        raise ModelSpecError(
            f"unknown model '{base}': not a tiny model ({', '.join(TINY_NAMES)}), a packaged short "
            f"name ({', '.join(known_names())}), a local folder, or a Hugging Face Hub name (owner/name)."
        )
    looks_like_path = base.startswith((".", "/", "~", "\\")) or base.count("/") > 1 or "\\" in base
    if looks_like_path:
        raise ModelSpecError(f"there is no folder '{base}'; check the path.")
    try:
        validate_repo_id(base)
    except HFValidationError:
        raise ModelSpecError(
            f"'{base}' is neither an existing folder nor a valid Hugging Face Hub name (owner/name)."
        ) from None
    return base
