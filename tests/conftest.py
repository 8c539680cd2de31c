"""Suite-wide settings: offline, quiet, one torch thread.

Tiny models spend their time in per-op overhead, where a second thread only adds
contention (measured ~10x slower on a shared 2-core machine), and one thread keeps float
reductions in a fixed order.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import torch
import yaml
from rich.console import Console

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "src" / "tokendistill" / "demo.yaml"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in demo, run once per session in process (one thread, offline): the run
    directory that the golden test and the tests of its kept models read."""
    from tokendistill.config import Config
    from tokendistill.config_io import validate_config
    from tokendistill.pipeline import run_pipeline

    run_dir = tmp_path_factory.mktemp("demo") / "run"
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["run_dir"] = str(run_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        run_pipeline(validate_config(data, Config), console=Console(file=io.StringIO()))
    return run_dir
