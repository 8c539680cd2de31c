"""What ``export``, ``predict`` and ``explain`` check before they copy, load or compute
anything, so a bad request fails in one line naming the path or the argument at fault.

* a local model folder: ``config.json`` readable JSON, every weights file a readable
  safetensors file whose header covers the file exactly, ``tokenizer.json`` readable JSON;
* an output path: not an existing thing of the other kind (a file where a folder is
  written, a folder where a file is), and in a place that can be created and written;
* a Hub upload: a valid repository id, and a machine that is not offline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tokendistill.errors import DeployError

CONFIG = "config.json"
TOKENIZER = "tokenizer.json"


def check_model_folder(folder: Path) -> None:
    """The files of a local model folder can be read (nothing is loaded)."""
    _read_json(folder / CONFIG, "the model's config", required=True)
    _read_json(folder / TOKENIZER, "the tokenizer", required=False)
    for weights in sorted(folder.glob("*.safetensors")):
        _check_safetensors(weights)


def _read_json(path: Path, what: str, *, required: bool) -> None:
    if not path.is_file():
        if required:
            raise DeployError(f"{path.parent} is not a model folder: it has no {path.name}")
        return
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DeployError(f"{path}: {what} is not readable JSON ({err}); the folder is damaged") from None


def _check_safetensors(path: Path) -> None:
    """The header parses and its tensors cover the file exactly (a truncated or overwritten
    file fails here, before transformers reads it)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as weights:
            weights.keys()
    except Exception as err:  # SafetensorError (header, sizes) or OSError
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DeployError(
            f"{path}: not a readable safetensors file ({message}); the folder is damaged"
        ) from None


def check_output_file(path: Path, option: str) -> None:
    """``path`` can be written as a file."""
    if path.is_dir():
        raise DeployError(f"{option} {path} is a folder; give a file path")
    _check_creatable(path.parent, option, path)


def check_output_folder(path: Path, option: str) -> None:
    """``path`` can be written as (or into) a folder."""
    if path.exists() and not path.is_dir():
        raise DeployError(f"{option} {path} is a file; give a folder (it is created if needed)")
    _check_creatable(path, option, path)


def _check_creatable(folder: Path, option: str, given: Path) -> None:
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise DeployError(f"{option} {given} cannot be written: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DeployError(f"{option} {given} cannot be written: {existing} is not writable")


def check_hub_upload(repo_id: str) -> None:
    """A repository id the Hub accepts, and a machine that may reach the Hub."""
    from huggingface_hub import constants
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        reason = str(err).splitlines()[0].rstrip(".")
        raise DeployError(f"--push-to-hub {repo_id!r} is not a Hub repository id: {reason}") from None
    if constants.HF_HUB_OFFLINE:
        raise DeployError(
            f"cannot upload to {repo_id}: HF_HUB_OFFLINE is set; unset it where there is network"
        )
