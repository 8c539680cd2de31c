"""The built-in demo's metrics.json (first seed), pinned: a refactor that changes a number
fails here.

The golden file holds every figure of the demo's metrics.json except the stage timings and
the config echo (it names the run directory, and the schema may gain keys). Regenerate it
deliberately, when a change is meant to move the numbers, with
``TOKENDISTILL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/pipeline/test_demo_golden.py``
and say why in the commit.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo_metrics.json"
VOLATILE = ("stage_seconds", "config_text")


def pinned(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k not in VOLATILE}


def assert_close(actual: Any, expected: Any, where: str = "metrics") -> None:
    """Equal structure and values; floats to 1e-9 relative (JSON round trips are exact, this
    only absorbs a last-bit difference between CPU kernels)."""
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {actual} != {expected}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), f"{where}: keys differ"
        for key in expected:
            assert_close(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: lengths differ"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def test_demo_metrics_match_the_golden_file(demo_run: Path) -> None:
    metrics = pinned(json.loads((demo_run / "metrics.json").read_text()))
    if os.environ.get("TOKENDISTILL_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(metrics, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert_close(metrics, json.loads(GOLDEN.read_text()))
