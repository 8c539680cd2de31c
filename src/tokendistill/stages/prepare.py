"""Stage 1: load the task and store its formatted splits as Parquet.

The typed example fields other packages read (evidence, shortcut, the LLM's rationale and
label) are stored in the ``meta`` JSON column under the keys they always had
(``Example.stored_meta`` / ``Example.from_stored``), so the stored layout is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tokendistill.runtime.context import Artifact, RunContext
from tokendistill.runtime.files import atomic_path, atomic_write_json
from tokendistill.tasks import Example, Task, TaskConfig, TaskData

SPLITS = ("train", "valid", "test")
TEACHER_SPLITS = ("teacher_train", "teacher_valid")  # stored only when the task has them

_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("content_spans", pa.list_(pa.list_(pa.int32(), 2))),
        ("label", pa.string()),
        ("choices", pa.list_(pa.string())),
        ("meta", pa.string()),
    ]
)


def examples_to_table(examples: list[Example]) -> pa.Table:
    return pa.table(
        {
            "id": [e.id for e in examples],
            "text": [e.text for e in examples],
            "content_spans": [[list(s) for s in e.content_spans] for e in examples],
            "label": [e.label for e in examples],
            "choices": [list(e.choices) if e.choices is not None else None for e in examples],
            "meta": [json.dumps(e.stored_meta(), sort_keys=True, ensure_ascii=False) for e in examples],
        },
        schema=_SCHEMA,
    )


def table_to_examples(table: pa.Table) -> list[Example]:
    rows = table.to_pylist()
    return [
        Example.from_stored(
            json.loads(r["meta"]),
            id=r["id"],
            text=r["text"],
            content_spans=tuple((int(s), int(e)) for s, e in r["content_spans"]),
            label=r["label"],
            choices=tuple(r["choices"]) if r["choices"] is not None else None,
        )
        for r in rows
    ]


def prepare_artifact(ctx: RunContext, task_config: TaskConfig) -> Artifact:
    return ctx.artifact("prepare", task_config.name, task_config.model_dump(mode="json"))


def run_prepare(
    ctx: RunContext, task_config: TaskConfig, task: Task, data: TaskData
) -> tuple[TaskData, Artifact]:
    """Store ``task``'s formatted splits (``data``, loaded and checked by the preflight) once;
    every run reads the stored splits, so all stages see the same examples."""
    artifact = prepare_artifact(ctx, task_config)

    def produce(out: Path, _work: Path) -> dict:
        for split in SPLITS + TEACHER_SPLITS:
            examples = getattr(data, split)
            if split in SPLITS or examples:
                with atomic_path(out / f"{split}.parquet") as tmp:
                    pq.write_table(examples_to_table(examples), tmp)
        atomic_write_json(
            out / "task.json",
            {"task": data.task, "notes": data.notes, "label_set": data.label_set, "sizes": data.sizes()},
        )
        return data.sizes()

    ctx.build(artifact, produce)
    return load_prepared(artifact), artifact


def load_prepared(artifact: Artifact) -> TaskData:
    info = json.loads((artifact.path / "task.json").read_text())
    files = {s: artifact.path / f"{s}.parquet" for s in SPLITS + TEACHER_SPLITS}
    splits = {s: table_to_examples(pq.read_table(path)) for s, path in files.items() if path.exists()}
    label_set = tuple(info["label_set"]) if info["label_set"] is not None else None
    data = TaskData(**splits, notes=list(info["notes"]), label_set=label_set, task=info["task"])
    return data
