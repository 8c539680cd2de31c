"""Cut a pretrained transformer down to fewer blocks (a cheap, warm-started student).

Keeping a subset of a teacher-family model's blocks is how DistilBERT initialised its
student: embeddings, final norm and LM head stay, so the student starts out speaking the
same vocabulary and hidden-state "language", just with less depth. This module does the
surgery generically instead of per architecture:

* the block stacks are found as the shallowest ``nn.ModuleList`` of identical modules
  (``model.layers`` in Llama/SmolLM/Qwen, ``transformer.h`` in GPT-2, ``encoder.block`` /
  ``decoder.block`` in T5, ``encoder.encoder.layer`` / ``decoder.bert.encoder.layer`` in a
  BERT ``EncoderDecoderModel``), preferring lists whose length matches the config;
* the config is updated so that ``save_pretrained`` + ``from_pretrained`` rebuild exactly
  the cut model (layer counts, and per-layer lists such as ``layer_types``);
* every ``layer_idx`` inside a kept block is renumbered, because KV caches are indexed by
  it: a kept block 29 must write to cache slot 5 of a 6-slot cache.

The cut happens in place on an already loaded model; the dropped blocks are freed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

from tokendistill.errors import ModelSpecError
from tokendistill.models.spec import LayerSelection

Role = Literal["decoder-only", "encoder", "decoder"]
# A config object and the names of its fields that hold this stack's depth.
DepthFields = tuple[PretrainedConfig, tuple[str, ...]]

# Config fields holding a stack's depth. Decoder-only models use ``num_hidden_layers``
# (configs alias it, e.g. GPT-2's ``n_layer``); encoder-decoders name the two stacks.
_ENCODER_KEYS = ("num_layers", "encoder_layers", "num_encoder_layers")
_DECODER_KEYS = ("num_decoder_layers", "decoder_layers")
_HIDDEN = ("num_hidden_layers",)
# Config fields that hold one entry per block and must be cut along with the blocks.
_PER_LAYER_LISTS = ("layer_types", "kv_sharing_modes")


@dataclass(frozen=True)
class BlockStack:
    """One ``nn.ModuleList`` of transformer blocks and the config fields that describe its depth."""

    path: str
    owner: nn.Module
    attr: str
    role: Role
    depth_fields: tuple[DepthFields, ...]

    @property
    def blocks(self) -> nn.ModuleList:
        return getattr(self.owner, self.attr)


def cut_layers(model: PreTrainedModel, selection: LayerSelection) -> dict[str, list[int]]:
    """Keep only the selected blocks of every stack of ``model`` (in place).

    For encoder-decoders the same selection applies to the encoder and the decoder.
    Returns the kept (original) block indices per stack path, for provenance.
    """
    stacks = find_block_stacks(model)
    plans = [(stack, selection.indices(len(stack.blocks))) for stack in stacks]
    for stack, _ in plans:
        for config, _ in stack.depth_fields:
            if getattr(config, "is_heterogeneous", False):
                raise ModelSpecError(
                    f"cannot cut layers of {type(model).__name__}: its config has per-layer overrides "
                    "(per_layer_config), which the layer cut does not support."
                )
    kept: dict[str, list[int]] = {}
    for stack, indices in plans:
        _cut_stack(stack, indices)
        kept[stack.path] = indices
    return kept


def find_block_stacks(model: PreTrainedModel) -> list[BlockStack]:
    """The block stacks of a decoder-only or encoder-decoder model, in (encoder, decoder) order."""
    config = model.config
    if isinstance(getattr(config, "encoder", None), PretrainedConfig) and isinstance(
        getattr(config, "decoder", None), PretrainedConfig
    ):
        # EncoderDecoderModel: two standalone models whose configs are the composite's sub-configs.
        return [
            _find_stack(
                sub, role, role, ((sub.config, _HIDDEN),), getattr(sub.config, "num_hidden_layers", None)
            )
            for role, sub in (("encoder", model.encoder), ("decoder", model.decoder))
        ]
    if config.is_encoder_decoder:
        stacks = []
        for role, module, keys in (
            ("encoder", model.get_encoder(), _ENCODER_KEYS),
            ("decoder", model.get_decoder(), _DECODER_KEYS),
        ):
            present = tuple(k for k in keys if getattr(config, k, None) is not None)
            fields: list[DepthFields] = [(config, present or _HIDDEN)]
            own = getattr(module, "config", None)
            if isinstance(own, PretrainedConfig) and own is not config:
                # T5 gives each stack a config copy whose num_layers is that stack's depth.
                fields.append((own, _HIDDEN + tuple(k for k in present if hasattr(own, k))))
            expected = getattr(config, present[0]) if present else None
            stacks.append(_find_stack(module, _path_of(model, module), role, tuple(fields), expected))
        return stacks
    depth = getattr(config, "num_hidden_layers", None)
    return [_find_stack(model, "", "decoder-only", ((config, _HIDDEN),), depth)]


def _cut_stack(stack: BlockStack, indices: list[int]) -> None:
    if not indices or indices[0] != 0:
        # T5 keeps its relative position bias in block 0 only; every selection keeps it.
        raise ModelSpecError("a layer cut must keep the first block of every stack.")
    old_total = len(stack.blocks)
    blocks = [stack.blocks[i] for i in indices]
    for new_index, block in enumerate(blocks):
        for module in block.modules():
            if isinstance(getattr(module, "layer_idx", None), int):
                module.layer_idx = new_index
    setattr(stack.owner, stack.attr, nn.ModuleList(blocks))
    for config, keys in stack.depth_fields:
        _update_config(config, keys, old_total, indices)


def _update_config(
    config: PretrainedConfig, keys: tuple[str, ...], old_total: int, indices: list[int]
) -> None:
    for key in keys:
        setattr(config, key, len(indices))  # aliases such as GPT-2's n_layer resolve via attribute_map
    for name in _PER_LAYER_LISTS:
        values = getattr(config, name, None)
        if isinstance(values, list | tuple) and len(values) == old_total:
            setattr(config, name, [values[i] for i in indices])


def _find_stack(
    root: nn.Module, prefix: str, role: Role, depth_fields: tuple[DepthFields, ...], expected: int | None
) -> BlockStack:
    candidates: list[tuple[str, nn.ModuleList]] = [
        (name, module)
        for name, module in root.named_modules()
        if isinstance(module, nn.ModuleList) and _is_block_list(module)
    ]
    if expected is not None and any(len(m) == expected for _, m in candidates):
        candidates = [(n, m) for n, m in candidates if len(m) == expected]
    if not candidates:
        raise ModelSpecError(
            f"cannot cut layers of {type(root).__name__}: "
            f"no list of transformer blocks was found in its {role}."
        )
    depth = min(name.count(".") for name, _ in candidates)
    shallowest = [(n, m) for n, m in candidates if n.count(".") == depth]
    if len(shallowest) > 1:
        names = ", ".join(n for n, _ in shallowest)
        raise ModelSpecError(
            f"cannot cut layers of {type(root).__name__}: "
            f"several lists of blocks ({names}) look like its {role}."
        )
    name = shallowest[0][0]
    owner_path, _, attr = name.rpartition(".")
    owner = root.get_submodule(owner_path) if owner_path else root
    path = ".".join(p for p in (prefix, name) if p)
    return BlockStack(path=path, owner=owner, attr=attr, role=role, depth_fields=depth_fields)


def _is_block_list(module_list: nn.ModuleList) -> bool:
    """A list of identical, parameterised modules (a T5Block's heterogeneous sub-layer list is not)."""
    children = list(module_list)
    if not children:
        return False
    kind = type(children[0])
    return all(type(c) is kind for c in children) and any(True for _ in children[0].parameters())


def _path_of(root: nn.Module, module: nn.Module) -> str:
    for name, candidate in root.named_modules():
        if candidate is module:
            return name
    return ""
