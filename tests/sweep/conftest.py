"""Every sweep test runs without the Hugging Face Hub."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def offline(hub_offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub offline; tokenizers single-threaded (runs fork worker processes)."""
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
