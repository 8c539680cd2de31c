"""Stage 3: every training token's score, once per method (selection happens later, for free)."""

from __future__ import annotations

from pathlib import Path

from tokendistill.attribution.artifact import attribute_to_artifact
from tokendistill.attribution.config import AttributionConfig
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.store import read_attributions
from tokendistill.runtime.context import Artifact, RunContext
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import Task, TaskData

ATTRIBUTIONS = "attributions.parquet"


def attribution_artifact(
    ctx: RunContext, attribution: AttributionConfig, method: str, split: str, teacher: TeacherOutputs
) -> Artifact:
    """The keyed artifact of ``method`` on ``split``: engine settings, the method's configured
    options and the teacher determine it (the chunk size does not: parts merge to the same file)."""
    settings = {**attribution.settings_dict(), "method_options": dict(attribution.options.get(method, {}))}
    determinants = {"method": method, "split": split, "settings": settings, "teacher": teacher.artifact.key}
    return ctx.artifact("attribute", f"{method}-{split}", determinants, upstream=[teacher.artifact])


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

    processes = ctx.state.num_processes
    share = f" (the main process's share; {processes} processes share the rest)" if processes > 1 else ""

    def produce(out: Path, work: Path) -> dict:
        known = teacher.train_answers if split == "train" else None
        attribute_to_artifact(
            adapter_factory(),
            examples,
            attribution.method(method),
            split=split,
            settings=attribution.settings,
            out_path=out / ATTRIBUTIONS,
            work_dir=work / "parts",
            chunk_size=attribution.chunk_size,
            score_fn=task.score,
            teacher_answers=None if known is None else [known[e.id] for e in examples],
            state=ctx.state,
            on_progress=lambda done, todo: ctx.console.print(
                f"  [dim]{method}/{split}: {done}/{todo}{share}[/dim]"
            ),
        )
        return {"examples": len(examples)}

    ctx.build(artifact, produce, collective=True)
    records, _ = read_attributions(artifact.path / ATTRIBUTIONS)
    return records
