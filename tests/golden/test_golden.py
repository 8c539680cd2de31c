"""The refactor guard: what the code computes, pinned in ``golden.json`` so that a change that
moves a number fails here, on any CPU.

A whole training run's figures pin the floating-point kernels of the machine that wrote them
(the demo's metrics differed in 320 figures on another x86-64 machine, and again under each
``ATEN_CPU_CAPABILITY``), so this file pins what is stable across CPUs instead:

* exactly, what is discrete: the prepared splits, the tokens of every attributed prompt and
  which of them are content, the rationales students learn (oracle and random sources), the
  training rows of every student mode, the rationales selected from fixed stored scores under
  several selection settings, and the shape of ``metrics.json`` and of the report (keys,
  lengths, labels; numbers by type only);
* within the ``KERNELS`` tolerances (``tests/tolerances.py``), what float32 arithmetic
  computes without a discrete choice: the attribution scores of all six methods on a seeded
  untrained teacher forced to the gold answers (no generated answer, whose greedy argmax could
  flip on a near-tie), the teacher's log-probabilities of the answer choices (the soft
  labels), and the per-step training losses of five students (standard, multitask at α 0.7
  with a label-only step, hints, and the two soft-label modes over the choices) over their
  four optimizer steps.

The tolerance is 1e-4 relative (1e-2 for the two methods whose scores are differences of
nearly equal values: leave-one-out and input x gradient); the differences measured between
the ``default`` and ``avx2`` kernel sets were at most 1.1e-6 (scores), 1.6e-4 (those two
methods), 1e-7 (losses and soft labels).

Mutation check (done by hand when this test was written: each change alone, run, restored):
* selection order: ``Selection.ranked`` sorting worst first (``u.score`` for ``-u.score``)
  fails ``test_selected_rationales``;
* loss weighting: the multitask mode weighing its label rows ``1 - alpha`` fails
  ``test_training_rows`` and ``test_training_losses`` (a loss moves by 0.40); normalising
  every row by all tasks' tokens instead of its own task's (``losses.packed_task_loss``)
  fails ``test_training_losses`` (0.94);
* attribution formulas: saliency's L2 norm replaced by the L1 norm (relative difference 3.6),
  integrated gradients without the ``(x - baseline)`` factor (193), input x gradient with
  ``|grad|`` (556) and leave-one-out with ``|F(x) - F(x')|`` (2) each fail
  ``test_attribution_scores``.

Regenerate deliberately, when a change is meant to move these numbers, with
``TOKENDISTILL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from tokendistill.attribution.store import read_attributions
from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import run_pipeline
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.tasks.config import SyntheticConfig
from tokendistill.tasks.synthetic import generate
from tokendistill.training.modes import build_rows, get_mode, list_modes
from tolerances import CANCELLING, KERNELS, assert_close, assert_figures_close

GOLDEN = Path(__file__).with_name("golden.json")
UPDATE = os.environ.get("TOKENDISTILL_UPDATE_GOLDEN") == "1"
METHODS = ["saliency", "input_x_gradient", "integrated_gradients", "attention", "leave_one_out", "random"]
DIFFERENCES = ("leave_one_out", "input_x_gradient")  # tests/tolerances.py: CANCELLING
CHOICES = {"over": "choices", "temperature": 2.0, "weight": 0.5}
# metrics.json strings that come from the teacher's generated answers, and the config echo
# (it names the run directory).
VOLATILE = ("teacher_answer", "config_text")


def golden_config(run_dir: Path) -> dict[str, Any]:
    training = {
        "epochs": 2,
        "learning_rate": 3.0e-3,
        "batch_size": 8,
        "eval_mode": "rank",
        "eval_steps": 2,
        "logging_steps": 1,
    }
    tiny = {"name": "tiny-causal", "tiny_size": 32, "tiny_layers": 1}
    return {
        "title": "golden",
        "tracking": {"report_to": "none"},
        "run_dir": str(run_dir),
        "seeds": [0],
        "task": {"name": "synthetic", "synthetic": {"n_train": 16, "n_valid": 8, "n_test": 16, "seed": 3}},
        "teacher": {"model": tiny, "finetune": False, "training": training},
        "attribution": {
            "methods": METHODS,
            "target": "gold",
            "options": {"integrated_gradients": {"n_steps": 8}},
        },
        "selection": {"k": 2, "unit": "word", "filters": ["punctuation"], "order": "score"},
        "student_model": tiny,
        "student_training": training,
        "students": [
            {"name": "standard", "mode": "standard"},
            {
                "name": "dss",
                "mode": "multitask",
                "alpha": 0.7,
                "label_warmup_steps": 1,
                "rationale": {"source": "oracle"},
            },
            {"name": "hints", "mode": "hints", "rationale": {"source": "oracle"}},
            {"name": "kd", "mode": "kd", "soft_labels": CHOICES},
            {
                "name": "kd-dss",
                "mode": "kd-multitask",
                "alpha": 0.7,
                "soft_labels": CHOICES,
                "rationale": {"source": "random"},
            },
        ],
        "analysis": {"k_sweep": [1, 2], "faithfulness_examples": 8, "heatmaps": 1},
    }


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("golden") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        run_pipeline(validate_config(golden_config(run_dir), Config), console=Console(file=io.StringIO()))
    return run_dir


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


def check(golden: dict[str, Any], section: str, actual: Any) -> Any:
    """The pinned value of ``section``; with TOKENDISTILL_UPDATE_GOLDEN=1, ``actual`` is
    written to the golden file first."""
    if UPDATE:
        golden[section] = actual
        GOLDEN.write_text(json.dumps(golden, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert section in golden, f"{GOLDEN} has no {section!r}: regenerate it (module docstring)"
    return golden[section]


def _one(run_dir: Path, pattern: str) -> Path:
    (path,) = run_dir.glob(pattern)
    return path


def _digest(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_prepared_splits(run_dir: Path, golden: dict[str, Any]) -> None:
    prepared = _one(run_dir, "prepare/synthetic-*")
    actual = {}
    for split in ("train", "valid", "test"):
        rows = pq.read_table(prepared / f"{split}.parquet").to_pylist()
        actual[split] = {"rows": len(rows), "sha256": _digest(rows), "first": rows[0]}
    assert actual == check(golden, "prepared", actual)


def _records(run_dir: Path, method: str) -> list[dict[str, Any]]:
    records, _ = read_attributions(_one(run_dir, f"attribute/{method}-train-*/attributions.parquet"))
    return [
        {"id": r.example_id, "tokens": r.tokens, "content": r.content, "target": r.target, "scores": r.scores}
        for r in records
    ]


def test_attribution_scores(run_dir: Path, golden: dict[str, Any]) -> None:
    actual = {method: _records(run_dir, method) for method in METHODS}
    expected = check(golden, "attribution", actual)
    assert actual.keys() == expected.keys()
    for method, records in expected.items():
        assert len(actual[method]) == len(records)
        for got, want in zip(actual[method], records, strict=True):
            discrete = {k: v for k, v in got.items() if k != "scores"}
            assert discrete == {k: v for k, v in want.items() if k != "scores"}, f"{method} {want['id']}"
            tolerance = CANCELLING if method in DIFFERENCES else KERNELS
            assert_close(got["scores"], want["scores"], tolerance, f"{method} scores of {want['id']}")


def test_soft_labels(run_dir: Path, golden: dict[str, Any]) -> None:
    table = pq.read_table(_one(run_dir, "distributions/choices-train-*/distributions.parquet")).to_pylist()
    actual = {row["id"]: row for row in table}
    expected = check(golden, "soft_labels", actual)
    assert_figures_close(actual, expected, KERNELS, "the teacher's choice distributions")


def _students(run_dir: Path) -> dict[str, Path]:
    return {p.name.rsplit("-seed", 1)[0]: p for p in sorted(run_dir.glob("students/*-seed0-*"))}


def test_learned_rationales(run_dir: Path, golden: dict[str, Any]) -> None:
    actual = {
        name: json.loads((folder / "rationales.json").read_text())
        for name, folder in _students(run_dir).items()
        if (folder / "rationales.json").exists()
    }
    assert sorted(actual) == ["dss", "hints", "kd-dss"]
    assert actual == check(golden, "learned_rationales", actual)


def test_training_losses(run_dir: Path, golden: dict[str, Any]) -> None:
    """Every optimizer step's loss (``loss_label``/``loss_rationale`` are rounded to four
    decimals for the log, so a last-bit difference can move them by a whole 1e-4: the
    combined loss carries the weighting and is compared instead)."""
    actual = {}
    for name, folder in _students(run_dir).items():
        history = json.loads((folder / "metrics.json").read_text())["loss_history"]
        actual[name] = [{"step": h["step"], "loss": h["loss"]} for h in history]
    assert all(len(history) == 4 for history in actual.values())
    assert_figures_close(actual, check(golden, "losses", actual), KERNELS, "training losses")


def shape(value: Any, key: str | None = None) -> Any:
    """``value`` with every number replaced by its type, volatile strings by "str" and
    artifact keys (hashes of what determines an artifact) by "<key>"."""
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v, key) for v in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str) and key in VOLATILE:
        return "str"
    if isinstance(value, str):
        return re.sub(r"-[0-9a-f]{16}\b", "-<key>", value)
    return value


def test_metrics_and_report_shape(run_dir: Path, golden: dict[str, Any]) -> None:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    report = (run_dir / "report.html").read_text()
    actual = {
        "metrics": shape(metrics),
        "report_headings": re.findall(r"<h[23][^>]*>(.*?)</h[23]>", report),
        "models": shape(json.loads((run_dir / "models.json").read_text())),
    }
    assert actual == check(golden, "shape", actual)


# Fixed stored scores: a formula of the token's position and text, without ties, so that the
# selection is pinned apart from any model.
def _fixed_scores(tokens: list[str]) -> list[float]:
    return [((i * 37) % 101) / 101 + len(token) / 1000 for i, token in enumerate(tokens)]


SELECTIONS = {
    "token-score-k3": SelectionConfig(k=3, unit="token", filters=[], order="score"),
    "word-score-k2": SelectionConfig(k=2, unit="word", filters=["punctuation"], order="score"),
    "word-input-max-k3": SelectionConfig(
        k=3, unit="word", word_agg="max", filters=["stopwords", "punctuation"], order="input"
    ),
    "word-repeats-k5": SelectionConfig(k=5, unit="word", dedupe=False, order="score"),
}


def test_selected_rationales(run_dir: Path, golden: dict[str, Any]) -> None:
    records, _ = read_attributions(_one(run_dir, "attribute/saliency-train-*/attributions.parquet"))
    actual = {}
    for name, config in SELECTIONS.items():
        selection = Selection(config)
        actual[name] = {
            r.example_id: selection.select(replace(r, scores=_fixed_scores(r.tokens)), config.k).text
            for r in records
        }
    assert actual == check(golden, "selection", actual)


def _alpha(mode: str) -> dict[str, float] | None:
    """α 0.7 for the modes that weigh tasks."""
    return {"alpha": 0.7} if "alpha" in get_mode(mode).options_model.model_fields else None


def test_training_rows(golden: dict[str, Any]) -> None:
    """Every registered mode's rows for three examples (α 0.7, gold labels; an oracle-like
    rationale of the example's planted words)."""
    examples = generate("train", 3, SyntheticConfig(n_train=3, seed=3))
    rationales = {ex.id: f"because of {ex.text.split()[0]}" for ex in examples}
    actual = {}
    for mode in list_modes():
        rows = build_rows(
            examples,
            mode,
            rationales=rationales if get_mode(mode).needs_rationale else None,
            options=_alpha(mode),
        )
        actual[mode] = [[r.example_id, r.prompt, r.target, round(r.weight, 12), r.task] for r in rows]
    assert actual == check(golden, "rows", actual)
