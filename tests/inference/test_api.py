"""The Python API: lazy top-level names, and the README's quick-start snippet runs as written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import tokendistill
from demo_models import student_entry

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "src" / "tokendistill" / "demo.yaml"
API = ("attribute", "explain", "export", "load_config", "predict", "run")


def test_import_is_light_and_names_load_on_use() -> None:
    heavy = ("torch", "transformers", "pydantic")
    code = f"import sys, tokendistill; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert set(API) <= set(dir(tokendistill)) and set(API) <= set(tokendistill.__all__)
    assert all(callable(getattr(tokendistill, name)) for name in API)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tokendistill.nope


def _readme_snippet() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### From Python", 1)[1]
    (snippet,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    return snippet


def test_the_readme_snippet_is_at_most_ten_lines() -> None:
    lines = [line for line in _readme_snippet().splitlines() if line.strip()]
    assert 0 < len(lines) <= 10


def test_the_readme_snippet_runs(
    demo_run: Path,
    demo_config,
    demo_index: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After `make demo` (here: the session's demo run copied to runs/demo, where `tokendistill
    demo` puts it, with its demo.yaml): every stage is read back, and the snippet prints the
    student's recorded test accuracy and token scores."""
    shutil.copytree(demo_run, tmp_path / "runs" / "demo")
    config = yaml.safe_dump(demo_config("runs/demo"), sort_keys=False)  # as `tokendistill demo` writes it
    (tmp_path / "runs" / "demo" / "demo.yaml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_snippet(), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    accuracy = student_entry(demo_index, "ours-saliency")["test_accuracy"]
    assert f"test accuracy {accuracy:.1%}" in printed
    assert "('the', " in printed
    assert json.loads((tmp_path / "models" / "ours-saliency" / "tokendistill.json").read_text())["name"] == (
        "ours-saliency"
    )
