"""The whole pipeline under ``accelerate launch`` on two CPU processes: the same artifacts as
one process, written once, the student trained by both processes in step, and a run killed
with N processes resumes with M.

``accelerate launch --cpu --num_processes 2`` starts one process unless an MPI hostfile is
given; two CPU processes come from the torchrun-based launcher (``--multi_gpu``) with
``ACCELERATE_USE_CPU=1``, which makes the Trainer's PartialState pick MULTI_CPU with gloo.

Kills are deterministic (``killing_run.py``: a process SIGKILLs itself as it is about to
publish its N-th attribution part); torchrun then stops the other process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tolerances import PROCESSES, assert_close, assert_figures_close

from .helpers import (
    KILLING_RUN,
    RECORDING_RUN,
    comparable_metrics,
    launch,
    run_and_kill,
    run_in_process,
    small_config,
    write_config,
)

pytestmark = [
    pytest.mark.skipif(
        __import__("importlib").util.find_spec("accelerate.commands.launch") is None,
        reason="accelerate launch is not installed",
    ),
    pytest.mark.processes,
]
PARTS = "attribute/*.work/parts/part-*.parquet"


def tiny_config(run_dir: Path) -> dict[str, Any]:
    """The pipeline test config cut to what multi-process runs exercise: one attribution
    method in two-example parts, one two-task student (training, generation, rank eval)."""
    config = small_config(run_dir)
    config["task"]["synthetic"].update({"n_train": 16, "n_valid": 8, "n_test": 16})
    config["attribution"] = {"methods": ["saliency"], "chunk_size": 2}
    config["students"] = config["students"][1:]
    config["analysis"] = {"k_sweep": [1, 3], "faithfulness_examples": 4, "heatmaps": 1}
    return config


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = tiny_config(tmp_path_factory.mktemp("one") / "run")
    result, _ = run_in_process(config)
    return result.run_dir


def scores(run_dir: Path) -> list[list[float]]:
    (path,) = run_dir.glob("attribute/saliency-train-*/attributions.parquet")
    return pq.read_table(path).column("scores").to_pylist()


def assert_same_run(run_dir: Path, reference: Path) -> None:
    """Attribution scores and every figure of metrics.json within the PROCESSES tolerance:
    two processes split each training step's batch (the teacher's too, when they train it)
    and sum their gradients over gloo, so the weights, and all that is computed from them,
    differ from one process's in float32's last bits; structure, texts and counts exactly."""
    got, want = scores(run_dir), scores(reference)
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert_close(a, b, PROCESSES, "attribution scores")
    assert_figures_close(comparable_metrics(run_dir), comparable_metrics(reference), PROCESSES)


def test_killed_with_one_process_resumes_with_two_and_writes_what_one_writes_once(
    one_process: Path, tmp_path: Path
) -> None:
    """A one-process run killed as it publishes its third attribution part resumes under two
    processes, which split the rest of the attribution, train the student together (every
    step normalised by both processes' tokens, the replicas identical at the end), write
    every artifact once and end with what one process writes."""
    run_dir, records = tmp_path / "run", tmp_path / "records"
    config = write_config(tiny_config(run_dir), tmp_path / "config.yaml")
    run_and_kill(config, run_dir, PARTS, count=3)
    assert len(list(run_dir.glob(PARTS))) == 2
    records.mkdir()
    code = launch([str(RECORDING_RUN), str(records), "run", str(config)], run_dir)
    assert code == 0, run_dir.with_suffix(".launch.log")
    log = (tmp_path / "run.launch.log").read_text()
    assert "▶ attribute/saliency-train" in log
    assert_same_run(run_dir, one_process)
    assert json.loads((run_dir / "metrics.json").read_text())["students"][0]["name"] == "ours-saliency"
    assert log.count("▶ report/report") == 1 and log.count("done: ") == 1  # shown once, by the main process
    assert "find_unused_parameters=True was specified" not in log  # no search where none is unused
    assert len(list(run_dir.glob("report/report-*/report/report.html"))) == 1
    assert not list(run_dir.glob("**/.*.tmp-*")) and not list(run_dir.glob("*/*.work"))
    assert_trained_together(records)


def assert_trained_together(records: Path) -> None:
    """Both ranks trained the one student: the same number of optimizer steps, each
    normalised by the two ranks' target tokens per task together, and the same weights."""
    (run0,), (run1,) = (json.loads((records / f"rank-{r}.json").read_text()) for r in (0, 1))
    assert len(run0["steps"]) == len(run1["steps"]) > 0
    for (local0, norm0), (local1, norm1) in zip(run0["steps"], run1["steps"], strict=True):
        assert norm0 == norm1 == [a + b for a, b in zip(local0, local1, strict=True)]
        assert all(local0) and all(local1)  # both ranks had rows of both tasks
    assert_close(run0["checksum"], run1["checksum"], PROCESSES, "the replicas' weight checksums")


def test_killed_with_two_processes_resumes_with_one(one_process: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    config = write_config(tiny_config(run_dir), tmp_path / "config.yaml")
    # A process dies as it publishes its third part: two of its parts are complete.
    code = launch([str(KILLING_RUN), str(run_dir / PARTS), "3", "run", str(config)], run_dir)
    assert code != 0
    assert not list(run_dir.glob("attribute/*/DONE.json")) and 2 <= len(list(run_dir.glob(PARTS))) < 8
    result, _ = run_in_process(tiny_config(run_dir))
    assert "attribute/saliency-train" in result.computed
    assert_same_run(run_dir, one_process)


def test_a_guided_student_trains_on_two_processes_as_on_one(tmp_path: Path) -> None:
    """The guided modes and on-policy soft labels run extra forwards (and a double backward, and
    generation) inside the training step:
    under data parallelism both processes still train one student in step, to what one
    process trains."""
    configs = {}
    for name in ("one", "two"):
        config = tiny_config(tmp_path / name / "run")
        config["attribution"]["chunk_size"] = 8
        config["students"] = [
            {
                "name": "matching",
                "mode": "guided-matching",
                "rationale": {"source": "attribution", "method": "saliency"},
            },
            {"name": "consistency", "mode": "guided-consistency", "rationale": {"source": "random"}},
            {"name": "gkd", "mode": "kd", "soft_labels": {"top_k": 8, "on_policy": 1.0}},
        ]
        configs[name] = config
    one, _ = run_in_process(configs["one"])
    run_dir = tmp_path / "two" / "run"
    run_dir.parent.mkdir()
    code = launch(
        ["-m", "tokendistill", "run", str(write_config(configs["two"], tmp_path / "two.yaml"))], run_dir
    )
    assert code == 0, run_dir.with_suffix(".launch.log").read_text()[-3000:]
    assert_same_run(run_dir, one.run_dir)
