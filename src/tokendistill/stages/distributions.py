"""The teacher's distributions over the training answers, stored once for every soft-label
student (``kd``, ``kd-multitask``) and seed.

One keyed artifact per (teacher, training split, forced answers, ``soft_labels.over`` and
``top_k``), computed on demand by the students stage and read back afterwards: a Parquet
file (``distributions.parquet``, no pickle) whose schema metadata names what it holds and
the teacher's tokenizer (its description and vocabulary fingerprint). The teacher reads its
own prompt (the ``standard`` one it was trained on):

* ``vocabulary``: teacher-forced on the answer the students learn (gold, or the teacher's
  own answer for ``labels: teacher``), the top-k log-probabilities at every answer token;
* ``choices``: every answer choice's summed log-probability.

Examples are scored in chunks written as part files under the artifact's work folder, so a
killed run resumes without scoring again what is done.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tokendistill.models.adapter import ModelAdapter
from tokendistill.models.token_pieces import token_pieces
from tokendistill.runtime.context import RunContext
from tokendistill.runtime.files import atomic_path, stable_hash
from tokendistill.runtime.parts import Parts
from tokendistill.stages.teacher import TeacherOutputs
from tokendistill.tasks import Example, TaskData
from tokendistill.training.modes import label_prompts
from tokendistill.training.soft_labels import SoftLabelConfig
from tokendistill.training.soft_targets import (
    ChoiceTarget,
    TeacherDistributions,
    VocabularyTarget,
    describe_tokenizer,
    vocabulary_fingerprint,
)
from tokendistill.training.teacher_targets import Target, teacher_targets

DISTRIBUTIONS = "distributions.parquet"
CHUNK = 256  # examples per part file: a kill loses at most one chunk's scoring


def run_distributions(
    ctx: RunContext,
    settings: SoftLabelConfig,
    data: TaskData,
    teacher: TeacherOutputs,
    answers: Mapping[str, str] | None,
    adapter_factory: Callable[[], ModelAdapter],
    teacher_model: str,
    batch_size: int,
) -> TeacherDistributions:
    """The teacher's distributions for ``data.train`` under ``settings`` (computed once, then
    read from the cache). ``answers`` (example id -> text) are the forced answers of
    ``vocabulary`` (None: the gold labels); ``teacher_model`` names its tokenizer in messages."""
    examples = data.train
    prompts = label_prompts(examples, "standard")
    wanted = _wanted(settings, data, answers)
    content = stable_hash([(e.id, p, w) for e, p, w in zip(examples, prompts, wanted, strict=True)])
    determinants = {"teacher": teacher.artifact.key, "stored": settings.stored(), "examples": content}
    artifact = ctx.artifact(
        "distributions", f"{settings.over}-train", determinants, upstream=[teacher.artifact]
    )

    def produce(out: Path, work: Path) -> dict:
        adapter = adapter_factory()

        def score(rows: range, part: Path) -> None:
            targets = teacher_targets(
                adapter, settings, [prompts[i] for i in rows], [wanted[i] for i in rows], batch_size
            )
            table = distributions_table(
                settings.over, [examples[i] for i in rows], targets, len(adapter.tokenizer)
            )
            with atomic_path(part) as tmp:
                pq.write_table(table, tmp)

        parts = Parts(work / "parts", "parquet").fill(len(examples), CHUNK, score)
        table = pa.concat_tables([pq.read_table(p) for p in parts])
        meta = _metadata(settings, table, adapter, teacher_model)
        pq.write_table(
            table.replace_schema_metadata({f"tokendistill.{k}": v for k, v in meta.items()}),
            out / DISTRIBUTIONS,
        )
        summary = {k: v for k, v in meta.items() if k != "pieces"}
        return {"examples": len(examples), **summary, **_size(settings.over, table, out / DISTRIBUTIONS)}

    ctx.build(artifact, produce)
    return read_distributions(artifact.path / DISTRIBUTIONS, artifact.key)


def _wanted(settings: SoftLabelConfig, data: TaskData, answers: Mapping[str, str] | None) -> list[list[str]]:
    """Per training example: the forced answer (``vocabulary``) or the answer choices."""
    if settings.over == "vocabulary":
        return [[answers[e.id] if answers else e.label] for e in data.train]
    return [list(e.choices or data.label_set or ()) for e in data.train]


def distributions_table(
    over: str, examples: Sequence[Example], targets: Sequence[Target], vocabulary: int
) -> pa.Table:
    """The artifact's rows (``vocabulary``: the teacher's vocabulary size, which sizes the ids)."""
    ids = [e.id for e in examples]
    if over == "choices":
        return pa.table(
            {
                "id": ids,
                "choices": [list(t.choices) for t in targets],
                "scores": pa.array([list(t.scores) for t in targets], pa.list_(pa.float64())),
            }
        )
    return pa.table(
        {
            "id": ids,
            "target_ids": pa.array([list(t.target_ids) for t in targets], pa.list_(pa.int32())),
            "top_ids": pa.array(
                [[list(r) for r in t.top_ids] for t in targets], pa.list_(pa.list_(_id_type(vocabulary)))
            ),
            "top_logprobs": pa.array(
                [[list(r) for r in t.top_logprobs] for t in targets], pa.list_(pa.list_(pa.float16()))
            ),
            "tail_logprobs": pa.array([list(t.tail_logprobs) for t in targets], pa.list_(pa.float32())),
            "spans": pa.array([[list(s) for s in t.spans] for t in targets], pa.list_(pa.list_(pa.int32()))),
        }
    )


def _metadata(
    settings: SoftLabelConfig, table: pa.Table, adapter: ModelAdapter, model: str
) -> dict[str, str]:
    """What the file holds and the teacher's tokenizer (``model``: how messages name it)."""
    return {
        "over": settings.over,
        "tokenizer": describe_tokenizer(model, adapter.tokenizer),
        "vocabulary": vocabulary_fingerprint(adapter.tokenizer),
        **_pieces(settings.over, table, adapter),
    }


def _pieces(over: str, table: pa.Table, adapter: ModelAdapter) -> dict[str, str]:
    """The pieces of every teacher token the table names (``models.token_pieces``), as JSON,
    so that a student of another tokenizer can map them (``match: aligned``)."""
    if over != "vocabulary":
        return {}
    ids = {i for rows in table.column("top_ids").to_pylist() for row in rows for i in row}
    ids |= {i for row in table.column("target_ids").to_pylist() for i in row}
    pieces = token_pieces(adapter.tokenizer, sorted(ids))
    return {"pieces": json.dumps({str(i): p for i, p in pieces.items()}, ensure_ascii=False)}


def _id_type(vocabulary: int) -> pa.DataType:
    """16-bit token ids where the vocabulary allows (up to 65,536 tokens: SmolLM2's 49,152)."""
    return pa.uint16() if vocabulary <= 2**16 else pa.int32()


def _size(over: str, table: pa.Table, path: Path) -> dict[str, float]:
    """The file's bytes per answer token (vocabulary: what the compact cache costs)."""
    if over != "vocabulary":
        return {}
    tokens = sum(len(ids) for ids in table.column("target_ids").to_pylist())
    return {"bytes_per_token": path.stat().st_size / max(1, tokens)}


def read_distributions(path: Path, key: str) -> TeacherDistributions:
    """A distributions artifact's file, typed (``key``: its artifact key)."""
    table = pq.read_table(path)
    meta = {
        k.decode().removeprefix("tokendistill."): v.decode() for k, v in (table.schema.metadata or {}).items()
    }
    columns = table.to_pydict()
    if meta["over"] == "choices":
        entries: dict[str, Target] = {
            i: ChoiceTarget(tuple(c), tuple(s))
            for i, c, s in zip(columns["id"], columns["choices"], columns["scores"], strict=True)
        }
    else:
        entries = {
            i: VocabularyTarget(
                tuple(t), tuple(map(tuple, ids)), tuple(map(tuple, lp)), tuple(tail), tuple(map(tuple, spans))
            )
            for i, t, ids, lp, tail, spans in zip(
                columns["id"],
                columns["target_ids"],
                columns["top_ids"],
                columns["top_logprobs"],
                columns["tail_logprobs"],
                columns["spans"],
                strict=True,
            )
        }
    pieces = {int(i): p for i, p in json.loads(meta.get("pieces", "{}")).items()}
    return TeacherDistributions(key, meta["over"], meta["tokenizer"], meta["vocabulary"], entries, pieces)
