"""Suite-wide settings (offline, quiet, one torch thread) and shared fixtures.

Tiny models spend their time in per-op overhead, where a second thread only adds
contention (measured ~10x slower on a shared 2-core machine), and one thread keeps float
reductions in a fixed order.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import torch
import yaml
from filelock import FileLock
from rich.console import Console

if TYPE_CHECKING:
    from tokendistill.attribution.result import TokenAttribution

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "src" / "tokendistill" / "demo.yaml"

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
torch.set_num_threads(1)


def demo_data(run_dir: Path | str) -> dict:
    """The built-in demo's config cut to the suite's budget, writing into ``run_dir``: every
    student, attribution method and analysis of the demo, on its first seed only, with a
    smaller teacher split, fewer epochs and integration steps, fewer faithfulness examples
    and AOPC bins, a smaller test split (the demo's own sizes take 90 s on 2 cores; these
    take 13 s). What the
    tests read (kept models, artifacts, recorded figures) has the demo's shape; none of them
    depends on how well it learns."""
    data = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    data["run_dir"] = str(run_dir)
    data["seeds"] = data["seeds"][:1]
    data["task"]["synthetic"].update(teacher_train=300, n_test=100)
    data["teacher"]["training"]["epochs"] = 2
    data["student_training"]["epochs"] = 1
    data["attribution"]["options"]["integrated_gradients"]["n_steps"] = 4
    data["analysis"].update(faithfulness_examples=8, aopc_bins=[0.1, 0.5])
    return data


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder ``build`` fills once per test session, also under pytest-xdist: the first
    worker that needs it builds it while the others wait on a file lock, then all read it.
    A build that fails leaves no completion mark, so the next worker tries again."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this session's folder, shared by its workers
    folder, done = base / f"shared-{name}", base / f"shared-{name}.done"
    with FileLock(str(base / f"shared-{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


# Session fixtures that take seconds to build (``shared_build``): under pytest-xdist the test
# modules that name one run on one worker, so no worker waits for another to build it.
SHARED_FIXTURES = ("demo_run", "rationale_writer")


class SharedFixtureScopes:
    """xdist's ``--dist loadscope`` with one change: the modules whose source names a shared
    fixture form one unit of work (a module is one unit otherwise)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "loadscope":
            return None
        from xdist.scheduler import LoadScopeScheduling

        root, units = config.rootpath, {}

        class Scheduler(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                module = nodeid.split("::", 1)[0]
                if module not in units:
                    source = root / module
                    text = source.read_text(encoding="utf-8") if source.is_file() else ""
                    units[module] = next((f"[{n}]" for n in SHARED_FIXTURES if n in text), module)
                return units[module]

        return Scheduler(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(SharedFixtureScopes(), "shared-fixture-scopes")


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test of a module that compares floats through a named tolerance is marked
    ``kernels``: CI runs those again under other CPU kernel sets."""
    from tolerances import Tolerance

    module = getattr(item, "module", None)
    if module is not None and any(isinstance(value, Tolerance) for value in vars(module).values()):
        item.add_marker(pytest.mark.kernels)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest units of work first, so that under pytest-xdist the short ones fill both
    workers to the end: modules with tests that start other processes, then the modules that
    share a session fixture; the collection order otherwise."""
    starts = {item.path for item in items if item.get_closest_marker("processes")}
    shares = {item.path for item in items if set(SHARED_FIXTURES) & set(getattr(item, "fixturenames", ()))}
    items.sort(key=lambda item: (item.path not in starts, item.path not in shares))


@pytest.fixture(scope="session")
def demo_config() -> Callable[[Path | str], dict]:
    """``demo_data``: the config every test that runs the demo uses."""
    return demo_data


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in demo (``demo_data``), run once per session in process (one thread,
    offline): the run directory that the tests of its kept models read. Read-only: a test
    that changes it works on a copy."""
    from tokendistill.config import Config
    from tokendistill.config_io import validate_config
    from tokendistill.pipeline import run_pipeline

    def build(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HF_HUB_OFFLINE", "1")
            config = validate_config(demo_data(folder / "run"), Config)
            run_pipeline(config, console=Console(file=io.StringIO()))

    return shared_build(tmp_path_factory, "demo", build) / "run"


@pytest.fixture(scope="session")
def demo_index(demo_run: Path) -> dict[str, Any]:
    """The demo run's models.json: every student and seed with its kept model folder."""
    return json.loads((demo_run / "models.json").read_text())


@pytest.fixture
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hugging Face Hub offline; huggingface_hub reads HF_HUB_OFFLINE at import, so the
    constant is patched as well (the kept and inference folders use it for every test)."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


# Hand-made attribution records (store, writer, selection and analysis tests).
Piece = tuple[str, float] | tuple[str, float, bool]


def build_record(
    text: str,
    pieces: Sequence[Piece],
    *,
    example_id: str = "ex",
    gold: str = "",
    teacher_correct: bool = True,
    split: str = "train",
) -> TokenAttribution:
    """A record whose tokens are ``pieces`` (token text, score[, is_content]) found in order.

    A token text may carry a leading space ("▁"-style tokenizers): its offsets then include
    the space, as real offset mappings often do.
    """
    tokens, offsets, content, scores = [], [], [], []
    pos = 0
    for piece in pieces:
        tok, score = piece[0], piece[1]
        is_content = piece[2] if len(piece) == 3 else True
        start = text.index(tok, pos)
        end = start + len(tok)
        tokens.append(tok)
        offsets.append((start, end))
        content.append(is_content)
        scores.append(float(score))
        pos = end
    # Imported here: the package must not load before the settings at the top are in place.
    from tokendistill.attribution.result import TokenAttribution

    return TokenAttribution(
        example_id=example_id,
        split=split,
        text=text,
        tokens=tokens,
        offsets=offsets,
        content=content,
        scores=scores,
        target=gold,
        teacher_answer=gold if teacher_correct else "other",
        gold=gold,
        teacher_correct=teacher_correct,
    )


@pytest.fixture
def make_record() -> Callable[..., TokenAttribution]:
    return build_record


@pytest.fixture
def dead_pid() -> int:
    """A process id no live process has (for temporaries left by a killed writer)."""
    for pid in range(os.getpid() + 1000, 10**7):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise RuntimeError("no free pid")


# A local model that writes few-shot rationales (the `generate` source's tests).
@dataclass(frozen=True)
class RationaleWriter:
    """``folder``: a local model; ``instruction``: the prompt it learnt; ``examples``: 32
    synthetic training examples, each with a template rationale ("the word cat names a kind
    of animal.") in ``meta``."""

    folder: str
    instruction: str
    examples: list


@pytest.fixture(scope="session")
def rationale_writer(tmp_path_factory: pytest.TempPathFactory) -> RationaleWriter:
    """A tiny causal model trained for a few seconds to complete few-shot prompts of the
    examples with "<rationale> So the answer is <label>.", saved as a local folder (a random
    tiny model never writes the marker, so nothing would parse)."""
    from tokendistill.tasks.config import SyntheticConfig
    from tokendistill.tasks.synthetic import generate

    instruction = "Answer."
    examples = generate("train", 32, SyntheticConfig(n_train=32), with_rationale=True)

    def build(folder: Path) -> None:
        adapter = _train_writer(instruction, examples)
        adapter.model.save_pretrained(folder)
        adapter.tokenizer.save_pretrained(folder)

    return RationaleWriter(str(shared_build(tmp_path_factory, "writer", build)), instruction, examples)


def _train_writer(instruction: str, examples: list) -> Any:
    import random

    from tokendistill.models.build import load_adapter
    from tokendistill.models.config import ModelConfig
    from tokendistill.rationales.generation import MARKER, Shot, few_shot_prompt, question

    rng = random.Random(0)
    torch.manual_seed(0)
    texts = [
        instruction,
        MARKER,
        *(question(e) for e in examples),
        *(e.llm_rationale for e in examples),
    ]
    adapter = load_adapter(ModelConfig(name="tiny-causal", tiny_size=32, tiny_layers=1), corpus=texts)
    optimizer = torch.optim.AdamW(adapter.model.parameters(), lr=3e-3)
    adapter.model.train()
    for _ in range(200):
        rows = []
        for example in rng.sample(examples, 8):
            demos = rng.sample(examples, rng.randint(0, 2))
            shots = [Shot(question(d), d.llm_rationale, d.label) for d in demos]
            target = f"{example.llm_rationale} {MARKER} {example.label}."
            rows.append((few_shot_prompt(instruction, shots, example, "\nAnswer:"), target))
        batch = adapter.encode([p for p, _ in rows], [t for _, t in rows])
        loss = -adapter.target_logprobs(batch).sum() / batch.target_mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return adapter
