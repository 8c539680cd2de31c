"""The deploy tests read the built-in demo's run (the session's ``demo_run``) offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub reads HF_HUB_OFFLINE at import, so patch the constant as well."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="session")
def demo_index(demo_run: Path) -> dict[str, Any]:
    """The demo's models.json."""
    return json.loads((demo_run / "models.json").read_text())
