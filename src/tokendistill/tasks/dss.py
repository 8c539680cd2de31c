"""The loading pipeline shared by the four DSS tasks (anli1, cqa, esnli, svamp).

read (local JSON Lines or the Hub) -> format every row -> attach PaLM rationales (by row,
before any shuffling) -> split (the given valid file, or a DSS-style hold-out) -> trim to
``max_examples``. Subclasses only say how one row becomes an ``Example``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokendistill.errors import DataError
from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import SPLITS, Split, TaskConfig
from tokendistill.tasks.example import Example
from tokendistill.tasks.llm_rationales import attach_llm_outputs, load_llm_outputs
from tokendistill.tasks.metrics import get_metric
from tokendistill.tasks.readers import Record, is_missing, read_jsonl, require_dir, require_file, require_rows
from tokendistill.tasks.splits import holdout_or_fail, take_first


@dataclass(frozen=True)
class HubSource:
    """Where DSS's ``load_from_source`` took a dataset on the Hub; split names per role."""

    path: str
    name: str | None
    splits: dict[str, str]

    def describe(self, role: str) -> str:
        version = f"/{self.name}" if self.name else ""
        return f"hub:{self.path}{version}[{self.splits[role]}]"


class DSSTask(Task):
    """A task in the DSS release layout: ``<data_dir>/<name>/<name>_<split>.json``."""

    hub: HubSource
    metric: str = "exact_match"

    @abstractmethod
    def make_example(self, record: Record, role: Split, config: TaskConfig) -> Example:
        """One formatted, validated example from a raw row of split file ``role``."""

    def score(self, prediction: str, example: Example) -> float:
        return get_metric(self.metric)(prediction, example)

    def format_records(self, records: Sequence[Record], config: TaskConfig) -> list[Example]:
        return [self.make_example(record, "test", config) for record in records]

    def load(self, config: TaskConfig) -> TaskData:
        if config.name != self.name:
            raise ValueError(f"config is for task {config.name!r}, not {self.name!r}")
        roles = self.roles(config)
        if config.source == "hub" and not set(roles) <= set(self.hub.splits):
            raise ValueError(
                f"task {self.name!r} from the hub has splits {sorted(self.hub.splits)}, not {roles}"
            )
        records = self.read_hub(config, roles) if config.source == "hub" else self.read_local(config, roles)
        examples = {role: [self.make_example(r, role, config) for r in records[role]] for role in roles}
        notes = ["source: " + ", ".join(f"{role} = {self.origin(config, role)}" for role in roles)]
        if config.llm_rationales:
            notes += self._attach_rationales(config, examples)
        train, valid, split_notes = self._split(config, examples)
        splits = {"train": train, "valid": valid, "test": examples["test"]}
        notes += split_notes + self.extra_notes(config)
        teacher_train = train[: config.teacher_max_train] if config.teacher_max_train else []
        for split in SPLITS:
            limit = getattr(config.max_examples, split)
            if limit is not None and limit < len(splits[split]):
                notes.append(
                    f"max_examples: {split} trimmed from {len(splits[split]):,} to the first {limit:,}"
                )
            splits[split] = take_first(splits[split], limit)
        teacher = {"teacher_train": teacher_train, "teacher_valid": splits["valid"] if teacher_train else []}
        if teacher_train:
            notes.append(f"the teacher trains on the first {len(teacher_train):,} train rows")
        return TaskData(**splits, **teacher, notes=notes, label_set=self.label_set, task=self.name)

    def roles(self, config: TaskConfig) -> list[Split]:
        """The split files to read: the one that plays train, the valid file if separate, test."""
        assert config.train_from is not None  # filled in by TaskConfig
        roles: list[Split] = [config.train_from]
        if config.train_from == "train" and config.valid_file is not None:
            roles.append("valid")
        return [*roles, "test"]

    def origin(self, config: TaskConfig, role: Split) -> str:
        """A short human name of where split file ``role`` comes from."""
        if config.source == "hub":
            return self.hub.describe(role)
        return str(getattr(config, f"{role}_file"))

    def task_dir(self, config: TaskConfig) -> Path:
        data_dir = require_dir(config.resolved_data_dir(), "data")
        return require_dir(data_dir / self.name, f"{self.name} data")

    def read_local(self, config: TaskConfig, roles: list[Split]) -> dict[Split, list[Record]]:
        task_dir = self.task_dir(config)
        out = {}
        for role in roles:
            hint = (
                "or train on the valid file with train_from: valid"
                if role == "train" and config.valid_file
                else ""
            )
            path = require_file(task_dir / str(getattr(config, f"{role}_file")), hint)
            out[role] = require_rows(read_jsonl(path), path)
        return out

    def read_hub(self, config: TaskConfig, roles: list[Split]) -> dict[Split, list[Record]]:
        """The splits from ``datasets.load_dataset`` with DSS's source names."""
        import datasets

        where = self.hub.describe(roles[0]).split("[")[0]
        try:
            if self.hub.name is None:
                loaded = datasets.load_dataset(self.hub.path)
            else:
                loaded = datasets.load_dataset(self.hub.path, self.hub.name)
        except Exception as err:
            problem = (
                f"could not load from the Hugging Face Hub ({type(err).__name__}: {err}); try source: local"
            )
            raise DataError(problem, file=where) from err
        out = {}
        for role in roles:
            rows = loaded[self.hub.splits[role]]
            source = self.hub.describe(role)
            out[role] = [Record(source, i + 1, i, dict(row), line_kind="row") for i, row in enumerate(rows)]
        return out

    def extra_notes(self, config: TaskConfig) -> list[str]:
        """Task-specific caveats for reports (e.g. a small-data mode)."""
        return []

    def example_id(self, record: Record, role: Split, id_field: str | None = None) -> str:
        """The row's own id when it has one, else ``<task>/<split file>/<row>``."""
        if (
            id_field is not None
            and not is_missing(record.fields.get(id_field))
            and record.fields[id_field] != ""
        ):
            return str(record.fields[id_field])
        return f"{self.name}/{role}/{record.row}"

    @staticmethod
    def row_meta(record: Record, role: Split, keys: tuple[str, ...], **extra: object) -> dict:
        """An example's free-form ``meta``: its split file and row, ``extra``, and those of the
        record's fields ``keys`` that are present (not None)."""
        meta: dict = {"split_file": role, "row": record.row, **extra}
        meta.update({key: record.fields[key] for key in keys if record.fields.get(key) is not None})
        return meta

    def _attach_rationales(self, config: TaskConfig, examples: dict[Split, list[Example]]) -> list[str]:
        task_dir = self.task_dir(config)
        notes = []
        for role, rows in examples.items():
            outputs = load_llm_outputs(self.name, task_dir, role)
            examples[role], more = attach_llm_outputs(
                rows, outputs, f"{self.name} {self.origin(config, role)}"
            )
            notes += more
        return notes

    def _split(
        self, config: TaskConfig, examples: dict[Split, list[Example]]
    ) -> tuple[list[Example], list[Example], list[str]]:
        assert config.train_from is not None
        if "valid" in examples and config.train_from == "train":
            return examples["train"], examples["valid"], []
        pool = examples[config.train_from]
        origin = self.origin(config, config.train_from)
        if config.valid_fraction == 0:
            return pool, [], [f"no valid split: valid_fraction is 0, train = all of {origin}"]
        train, valid = holdout_or_fail(pool, config.valid_fraction, config.split_seed, origin)
        note = (
            f"valid = {len(valid):,} rows held out from {origin} with datasets train_test_split("
            f"test_size={config.valid_fraction:g}, seed={config.split_seed}) as in DSS run.py; "
            f"train = the other {len(train):,}"
        )
        return train, valid, [note]
