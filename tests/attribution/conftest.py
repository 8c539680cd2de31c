"""Fixtures shared by the attribution tests (helpers live in ``helpers.py``)."""

from __future__ import annotations

import pytest

from tokendistill.models.adapter import ModelAdapter
from tokendistill.tasks.example import Example

from .helpers import ARCHS, QUESTIONS, build_adapter, make_example


@pytest.fixture(scope="module", params=ARCHS)
def adapter(request) -> ModelAdapter:
    return build_adapter(request.param)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return [make_example(i, q, a) for i, (q, a) in enumerate(QUESTIONS)]
