"""Named float tolerances for the tests that compare two computations of one quantity (other
batch compositions, processes, kernels, a reference library), each justified by the worst
case measured for it.

A comparison passes when the largest difference is at most ``tolerance.rel`` times the scale
of the expected values: their largest magnitude for an array (float32 noise grows with the
summands, so an element near zero is held to the array's scale, not to its own), or
``max(1, |expected|)`` for each figure of a JSON-like value.

How the ``measured`` figures were found: run the suite with
``TOKENDISTILL_MEASURE_TOLERANCES=/tmp/m.jsonl`` under ``ATEN_CPU_CAPABILITY=default`` and
``=avx2`` (and on any other machine at hand), then
``python tests/tolerances.py /tmp/m.jsonl`` prints the worst relative difference seen for
each tolerance. A tolerance sits well above its measured worst case (10x or more; 2x for the
bf16 ones) and far below what a real change moves (the golden test's docstring says how that
was checked). The figures were measured on the development machine (2 cores, x86-64 with
avx2, no avx512) under both kernel sets; the resumed training runs were bit-identical there.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MEASURE_ENV = "TOKENDISTILL_MEASURE_TOLERANCES"


@dataclass(frozen=True)
class Tolerance:
    name: str
    rel: float
    measured: float  # the worst relative difference seen (module docstring)
    compares: str


BATCHING = Tolerance(
    "batching",
    1e-4,
    9.5e-6,
    "one example's float32 scores or log-probabilities in batches of other composition",
)
PROCESSES = Tolerance(
    "processes",
    1e-5,
    8.2e-7,
    "a run's scores and figures on two processes (gloo-summed gradients) against one",
)
CHECKPOINTING = Tolerance(
    "checkpointing", 1e-5, 2.2e-7, "gradients with gradient checkpointing against without"
)
REFERENCE = Tolerance(
    "reference", 1e-4, 1.2e-6, "our attribution against Captum's or Inseq's on the same model and inputs"
)
FORMULA = Tolerance(
    "formula", 1e-5, 2.9e-7, "a float32 closed form against its direct computation on the same tensors"
)
LORA_MERGE = Tolerance(
    "lora_merge",
    1e-4,
    2.1e-6,
    "a LoRA model's scores after merging its adapters into the weights, against before",
)
RESUME = Tolerance(
    "resume", 1e-5, 0.0, "a killed and resumed training run's weights against an uninterrupted run's"
)
# A bf16 teacher's scores against float32's, relative to the example's largest score, on the
# suite's tiny random models (README, "precision"). Saliency is an L2 norm; the signed sums of
# input x gradient and integrated gradients lose more to cancellation. bf16 kernels differ
# more between CPUs than float32 ones (native bf16 instructions or emulation): 2x room.
BF16_NORM = Tolerance("bf16_norm", 0.1, 0.022, "saliency of a bf16 teacher against float32")
BF16_SIGNED = Tolerance(
    "bf16_signed", 0.5, 0.22, "input x gradient and integrated gradients of a bf16 teacher against float32"
)
KERNELS = Tolerance(
    "kernels", 1e-4, 1.1e-6, "the golden file's float32 figures against this CPU's (kernel sets, CPUs)"
)
# Leave-one-out scores are differences of two log-probabilities of ~5 that differ by ~1e-3 on
# an untrained model, and input x gradient sums products that cancel: any reassociation
# (kernels, batches) moves them by the absolute float32 noise of what they subtract, which is
# large against their own small scale.
CANCELLING = Tolerance(
    "cancelling", 1e-2, 1.6e-4, "scores that are differences of nearly equal float32 values (any cause)"
)


def _record(tolerance: Tolerance, observed: float) -> None:
    path = os.environ.get(MEASURE_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"name": tolerance.name, "observed": observed}) + "\n")


def relative_difference(actual: Any, expected: Any, scale: float | None = None) -> float:
    """max |actual - expected| / max |expected| over two arrays of one shape; ``scale``
    replaces max |expected| where that is not the quantity's natural size (an expected zero)."""
    a = np.asarray(_numpy(actual), dtype=np.float64)
    e = np.asarray(_numpy(expected), dtype=np.float64)
    assert a.shape == e.shape, f"shapes differ: {a.shape} != {e.shape}"
    if a.size == 0:
        return 0.0
    scale = float(np.abs(e).max()) if scale is None else scale
    difference = float(np.abs(a - e).max())
    if scale == 0.0:
        return 0.0 if difference == 0.0 else float("inf")
    return difference / scale


def assert_close(
    actual: Any, expected: Any, tolerance: Tolerance, what: str = "values", *, scale: float | None = None
) -> None:
    """Two arrays (tensors, NumPy arrays, nested lists, numbers) equal within ``tolerance``."""
    observed = relative_difference(actual, expected, scale)
    _record(tolerance, observed)
    assert observed <= tolerance.rel, (
        f"{what}: relative difference {observed:.3g} exceeds the {tolerance.name} tolerance {tolerance.rel:g}"
    )


def largest_difference(actual: Any, expected: Any, where: str = "") -> float:
    """The largest difference between two floats at the same place in two JSON-like values,
    relative to ``max(1, |expected|)``. Fails when anything else differs: structure, keys,
    lengths, strings, integers, booleans."""
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return abs(actual - expected) / max(1.0, abs(expected))
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), f"{where}: keys differ"
        return max(
            (largest_difference(actual[k], expected[k], f"{where}.{k}") for k in expected), default=0.0
        )
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: lengths differ"
        pairs = enumerate(zip(actual, expected, strict=True))
        return max((largest_difference(a, e, f"{where}[{i}]") for i, (a, e) in pairs), default=0.0)
    assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    return 0.0


def assert_figures_close(actual: Any, expected: Any, tolerance: Tolerance, what: str = "figures") -> None:
    """Two JSON-like values equal but for float figures within ``tolerance``."""
    observed = largest_difference(actual, expected, what)
    _record(tolerance, observed)
    assert observed <= tolerance.rel, (
        f"{what}: a figure differs by {observed:.3g}, over the {tolerance.name} tolerance {tolerance.rel:g}"
    )


def _numpy(value: Any) -> Any:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        return value.detach().double().cpu().numpy()
    return value


def worst_cases(lines: Sequence[str]) -> dict[str, float]:
    """The worst observed difference per tolerance name in a measurement file's lines."""
    worst: dict[str, float] = {}
    for line in lines:
        entry = json.loads(line)
        worst[entry["name"]] = max(worst.get(entry["name"], 0.0), entry["observed"])
    return worst


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as measurements:
        for name, observed in sorted(worst_cases(measurements.readlines()).items()):
            print(f"{name:14s} worst {observed:.3g}")
