"""``explain``: attribution of any model's answers on arbitrary inputs, with the batched engine.

The forced target is the model's own answer, produced as ``predict`` produces it (a kept
model's evaluation settings), unless ``fields.target`` names a field that holds one. The
model's prompt is its student mode's (``predict: `` for a two-task student), with the
mode's template kept out of the content tokens. ``explain`` writes the Parquet attribution
artifact (resumable, through ``attribute_to_artifact``) and a self-contained HTML page of
token heatmaps; ``attribute_inputs`` returns the records without writing anything.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from tokendistill.attribution.artifact import attribute_to_artifact
from tokendistill.attribution.config import AttributionSettings
from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.registry import get_method
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.run import attribute
from tokendistill.attribution.store import read_attributions
from tokendistill.attribution.targets import ScoreFn
from tokendistill.errors import DeployError
from tokendistill.inference.inputs import InputFields, InputRow, Inputs, read_inputs
from tokendistill.inference.page import write_page
from tokendistill.inference.predict import model_answers
from tokendistill.inference.usage import ModelRef, ModelUsage, TaskRef, resolve_usage
from tokendistill.kept.checks import check_output_folder
from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.files import stable_hash
from tokendistill.tasks import Example
from tokendistill.tasks.config import Split
from tokendistill.tasks.metrics import exact_match
from tokendistill.training.modes import StudentMode

if TYPE_CHECKING:
    from typing_extensions import Unpack

ATTRIBUTIONS = "attributions.parquet"
PAGE = "explain.html"
INPUTS_SPLIT = "inputs"


class AttributionRequest(TypedDict, total=False):
    """What ``attribute_inputs`` and ``explain`` take as keywords (defaults: ``_prepare``'s):
    a task ``split`` instead of inputs, the attribution ``method`` (default ``saliency``) and
    its ``options``, the engine's ``settings``, a ``task`` that formats the rows, and the
    ``fields`` rows are read from."""

    split: Split | None
    method: str
    options: Mapping[str, Any] | None
    settings: AttributionSettings | None
    task: TaskRef | None
    fields: InputFields | None


@dataclass(frozen=True)
class ExplainResult:
    records: list[TokenAttribution]
    artifact: Path
    page: Path


@dataclass(frozen=True)
class _Job:
    """Everything one attribution call needs, prepared once."""

    usage: ModelUsage
    adapter: ModelAdapter
    examples: list[Example]
    targets: list[str]
    method: AttributionMethod
    settings: AttributionSettings
    score_fn: ScoreFn
    split: str


def attribute_inputs(
    model: ModelRef, inputs: Inputs | None = None, **request: Unpack[AttributionRequest]
) -> list[TokenAttribution]:
    """Token attributions of ``model``'s answers on ``inputs`` (or a task ``split``), in
    input order, in memory. ``options`` configure ``method``; ``settings`` the engine."""
    job = _prepare(model, inputs, **request)
    return attribute(
        job.adapter,
        job.examples,
        job.method,
        split=job.split,
        settings=job.settings,
        score_fn=job.score_fn,
        teacher_answers=job.targets,
    )


def explain(
    model: ModelRef,
    inputs: Inputs | None = None,
    *,
    out_dir: str | os.PathLike[str],
    k: int = 5,
    **request: Unpack[AttributionRequest],
) -> ExplainResult:
    """``attribute_inputs`` written to ``out_dir``: ``attributions.parquet`` (the pipeline's
    artifact format) and ``explain.html`` (token heatmaps, the top-``k`` words underlined).
    A killed call resumes from its part files when called again with the same arguments."""
    check_output_folder(Path(out_dir), "--out")
    job = _prepare(model, inputs, **request)
    out = Path(out_dir)
    determinants = [job.method.name, job.method.options(), job.settings.settings_dict(), job.targets]
    work = out / f".explain-{stable_hash([*determinants, [ex.text for ex in job.examples]])}.work"
    path = attribute_to_artifact(
        job.adapter,
        job.examples,
        job.method,
        split=job.split,
        settings=job.settings,
        out_path=out / ATTRIBUTIONS,
        work_dir=work,
        score_fn=job.score_fn,
        teacher_answers=job.targets,
    )
    shutil.rmtree(work, ignore_errors=True)
    records, _ = read_attributions(path)
    page = write_page(out / PAGE, records, model=job.usage.spec, method=job.method.name, k=k)
    return ExplainResult(records, path, page)


def _prepare(
    model: ModelRef,
    inputs: Inputs | None,
    *,
    split: Split | None = None,
    method: str = "saliency",
    options: Mapping[str, Any] | None = None,
    settings: AttributionSettings | None = None,
    task: TaskRef | None = None,
    fields: InputFields | None = None,
) -> _Job:
    fields = fields or InputFields()
    try:
        impl = get_method(method, **dict(options or {}))
    except ValueError as err:
        raise DeployError(str(err)) from None
    usage = resolve_usage(model, task=task)
    rows = read_inputs(usage, inputs, split, fields)
    _check_unique(rows)
    adapter = usage.load()
    targets = _targets(rows, fields.target) if fields.target else model_answers(usage, adapter, rows)
    prefix = _prompt_prefix(usage.mode, rows[0].example)
    examples = [row.example.with_prefix(prefix) for row in rows]
    score_fn = usage.task.score if usage.task is not None else exact_match
    cfg = settings or AttributionSettings()
    return _Job(usage, adapter, examples, targets, impl, cfg, score_fn, split or INPUTS_SPLIT)


def _targets(rows: Sequence[InputRow], field: str) -> list[str]:
    targets = []
    for row in rows:
        value = row.fields.get(field)
        if value in (None, ""):
            raise DeployError(f"input {row.example.id!r} has no target in field {field!r}")
        targets.append(str(value))
    return targets


def _prompt_prefix(mode: StudentMode, example: Example) -> str:
    """The template the mode puts before the input (its prompts must be prefix + input, so
    that every token maps back to the input's characters)."""
    if mode.rationale_at_inference:
        raise DeployError(f"mode {mode.name!r} reads a rationale at inference; explain cannot supply one")
    prompt = mode.prompt(example)
    if not prompt.endswith(example.text):
        raise DeployError(f"mode {mode.name!r} does not prompt with a prefix plus the input text")
    return prompt[: len(prompt) - len(example.text)]


def _check_unique(rows: Sequence[InputRow]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.example.id in seen:
            raise DeployError(f"input id {row.example.id!r} is used twice; ids must be unique")
        seen.add(row.example.id)
