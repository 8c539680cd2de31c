"""``export`` of the demo's best ours-saliency seed: the kept folder is copied with its card;
Hub uploads go through ``HfApi`` or fail in one line (``predict`` on the copy:
``tests/inference/test_predict.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import huggingface_hub.constants
import pytest
from typer.testing import CliRunner

from demo_models import student_entry
from tokendistill.cli import app
from tokendistill.errors import DeployError
from tokendistill.kept import hub
from tokendistill.kept.export import export


@pytest.fixture(scope="module")
def exported(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI's export of ours-saliency (no seed given: the best on validation)."""
    to = tmp_path_factory.mktemp("export") / "ours-saliency"
    result = CliRunner().invoke(app, ["export", str(demo_run), "--student", "ours-saliency", "--to", str(to)])
    assert result.exit_code == 0, result.output
    return to


def test_export_copies_the_best_seed_with_its_card(
    exported: Path, demo_run: Path, demo_index: dict[str, Any]
) -> None:
    source = demo_run / student_entry(demo_index, "ours-saliency")["model"]
    names = sorted(p.name for p in source.iterdir())
    assert sorted(p.name for p in exported.iterdir()) == names
    assert {"README.md", "tokendistill.json", "model.safetensors", "generation_config.json"} <= set(names)
    assert (exported / "README.md").read_text() == (source / "README.md").read_text()


def test_export_errors_are_one_line(demo_run: Path, tmp_path: Path, exported: Path) -> None:
    runner = CliRunner()
    cases = {
        ("--student", "nobody"): "no student 'nobody'; students: [",
        ("--student", "ours-saliency", "--seed", "7"): "has no seed 7; seeds: [0]",
        ("--student", "ours-saliency", "--seed", "0", "--best"): "give --seed or --best, not both",
    }
    for extra, message in cases.items():
        result = runner.invoke(app, ["export", str(demo_run), *extra, "--to", str(tmp_path / "x")])
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(DeployError, match="already exists"):
        export(demo_run, "ours-saliency", to=exported)
    with pytest.raises(DeployError, match=r"models\.json: not found"):
        export(tmp_path, "ours-saliency", to=tmp_path / "y")


class StandInHub:
    """Records what would have been sent to the Hub."""

    calls: ClassVar[list[tuple[str, dict]]] = []

    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def create_repo(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs: Any) -> Any:
        self.calls.append(
            ("upload_folder", {**kwargs, "files": sorted(p.name for p in kwargs["folder_path"].iterdir())})
        )
        return type("Commit", (), {"commit_url": f"https://huggingface.co/{kwargs['repo_id']}/commit/1"})()


def test_push_to_hub_creates_the_repo_and_uploads_the_folder(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StandInHub.calls = []
    monkeypatch.setattr(hub, "HfApi", StandInHub)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # the stand-in needs none
    to = tmp_path / "model"
    args = [
        "export",
        str(demo_run),
        "--student",
        "standard",
        "--to",
        str(to),
        "--push-to-hub",
        "me/demo-student",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (create, kwargs), (upload, sent) = StandInHub.calls
    assert (create, kwargs) == (
        "create_repo",
        {"repo_id": "me/demo-student", "private": None, "exist_ok": True},
    )
    assert upload == "upload_folder" and sent["repo_id"] == "me/demo-student" and sent["folder_path"] == to
    assert {"README.md", "tokendistill.json", "model.safetensors"} <= set(sent["files"])


def test_push_to_hub_offline_is_one_clear_line(demo_run: Path, tmp_path: Path) -> None:
    args = [
        "export",
        str(demo_run),
        "--student",
        "standard",
        "--to",
        str(tmp_path / "m"),
        "--push-to-hub",
        "me/x",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "error: cannot upload to me/x: HF_HUB_OFFLINE is set; unset it where there is network"
    )


def test_push_to_an_unreachable_hub_is_one_clear_line(
    demo_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    # Nothing listens on the discard port: the connection is refused at once, network or not.
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(
        DeployError, match=r"^could not reach the Hugging Face Hub to upload me/x; check the network"
    ):
        export(demo_run, "standard", to=tmp_path / "m", push_to_hub="me/x")
