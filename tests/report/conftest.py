"""The report tests run with the Hub offline."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def offline(hub_offline: None) -> None:
    """Every test here runs with the Hub offline."""
