"""Stage 3: every training token's score, once per method (selection happens later, for free)."""

from __future__ import annotations

from pathlib import Path

from tokendistill.attribution import AttributionConfig as MethodRunConfig
from tokendistill.attribution import attribute, get_method, run_metadata
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.store import read_attributions
from tokendistill.attribution.writer import AttributionWriter
from tokendistill.config import Config
from tokendistill.models.adapter import ModelAdapter
from tokendistill.stages.context import Artifact, RunContext
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import Example, Task, TaskData

ATTRIBUTIONS = "attributions.parquet"


def method_run_config(config: Config, method: str) -> MethodRunConfig:
    a = config.attribution
    return MethodRunConfig(
        target=a.target,
        attributed_fn=a.attributed_fn,
        aggregation=a.aggregation,
        batch_size=a.batch_size,
        max_new_tokens=a.max_new_tokens,
        method_options=dict(a.options.get(method, {})),
    )


def attribution_artifact(
    ctx: RunContext, config: Config, method: str, split: str, teacher: TeacherOutputs
) -> Artifact:
    determinants = {
        "method": method,
        "split": split,
        "settings": method_run_config(config, method).to_dict(),
        "teacher": teacher.artifact.key,
    }
    return ctx.artifact("attribute", f"{method}-{split}", determinants)


def run_attribution(
    ctx: RunContext,
    config: Config,
    task: Task,
    data: TaskData,
    teacher: TeacherOutputs,
    adapter_factory,
    method: str,
    split: str = "train",
) -> list[TokenAttribution]:
    """Attribute ``split`` with ``method``; resumable in chunks of ``attribution.chunk_size``."""
    artifact = attribution_artifact(ctx, config, method, split, teacher)
    examples = data.split(split)

    def produce(out: Path, work: Path) -> dict:
        adapter: ModelAdapter = adapter_factory()
        run_cfg = method_run_config(config, method)
        metadata = run_metadata(adapter, get_method(method, **run_cfg.method_options), run_cfg, split=split)
        answers = teacher.train_answers if split == "train" else None
        with AttributionWriter(
            work / "parts", [e.id for e in examples], metadata, config.attribution.chunk_size
        ) as writer:
            pending = set(writer.pending())
            todo = [e for e in examples if e.id in pending]
            for start in range(0, len(todo), config.attribution.chunk_size):
                chunk = todo[start : start + config.attribution.chunk_size]
                writer.extend(_attribute_chunk(adapter, chunk, method, run_cfg, split, task, answers))
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
    method: str,
    run_cfg: MethodRunConfig,
    split: str,
    task: Task,
    answers: dict[str, str] | None,
) -> list[TokenAttribution]:
    known = [answers[e.id] for e in chunk] if answers is not None else None
    return attribute(
        adapter, chunk, method, split=split, config=run_cfg, score_fn=task.score, teacher_answers=known
    )
