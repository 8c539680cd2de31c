"""Stage 3: every training token's score, once per method (selection happens later, for free)."""

from __future__ import annotations

from pathlib import Path

from tokendistill.attribution import AttributionSettings, attribute, run_metadata
from tokendistill.attribution.config import AttributionConfig
from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.store import read_attributions
from tokendistill.attribution.writer import AttributionWriter
from tokendistill.models.adapter import ModelAdapter
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import Example, Task, TaskData

ATTRIBUTIONS = "attributions.parquet"


def attribution_artifact(
    ctx: RunContext, attribution: AttributionConfig, method: str, split: str, teacher: TeacherOutputs
) -> Artifact:
    """The keyed artifact of ``method`` on ``split``: engine settings, the method's configured
    options and the teacher determine it (the chunk size does not: parts merge to the same file)."""
    settings = {**attribution.settings_dict(), "method_options": dict(attribution.options.get(method, {}))}
    determinants = {"method": method, "split": split, "settings": settings, "teacher": teacher.artifact.key}
    return ctx.artifact("attribute", f"{method}-{split}", determinants)


def run_attribution(
    ctx: RunContext,
    attribution: AttributionConfig,
    task: Task,
    data: TaskData,
    teacher: TeacherOutputs,
    adapter_factory,
    method: str,
    split: str = "train",
) -> list[TokenAttribution]:
    """Attribute ``split`` with ``method``; resumable in chunks of ``attribution.chunk_size``."""
    artifact = attribution_artifact(ctx, attribution, method, split, teacher)
    examples = data.split(split)
    chunk_size = attribution.chunk_size

    def produce(out: Path, work: Path) -> dict:
        adapter: ModelAdapter = adapter_factory()
        impl = attribution.method(method)
        metadata = run_metadata(adapter, impl, attribution.settings, split=split)
        answers = teacher.train_answers if split == "train" else None
        with AttributionWriter(work / "parts", [e.id for e in examples], metadata, chunk_size) as writer:
            pending = set(writer.pending())
            todo = [e for e in examples if e.id in pending]
            for start in range(0, len(todo), chunk_size):
                chunk = todo[start : start + chunk_size]
                writer.extend(
                    _attribute_chunk(adapter, chunk, impl, attribution.settings, split, task, answers)
                )
                writer.flush()
                ctx.console.print(
                    f"  [dim]{method}/{split}: {min(start + len(chunk), len(todo))}/{len(todo)}[/dim]"
                )
            writer.finalize(out / ATTRIBUTIONS)
        return {"examples": len(examples)}

    ctx.build(artifact, produce)
    records, _ = read_attributions(artifact.path / ATTRIBUTIONS)
    return records


def _attribute_chunk(
    adapter: ModelAdapter,
    chunk: list[Example],
    method: AttributionMethod,
    settings: AttributionSettings,
    split: str,
    task: Task,
    answers: dict[str, str] | None,
) -> list[TokenAttribution]:
    known = [answers[e.id] for e in chunk] if answers is not None else None
    return attribute(
        adapter, chunk, method, split=split, settings=settings, score_fn=task.score, teacher_answers=known
    )
