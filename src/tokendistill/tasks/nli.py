"""The NLI tasks: ANLI round 1 (``anli1``) and e-SNLI (``esnli``).

Labels 0/1/2 become entailment/neutral/contradiction as in DSS; anything else is a data
error rather than a silently unlearnable example.
"""

from __future__ import annotations

from pathlib import Path

from tokendistill.tasks.config import BUILTIN_FILES, Split, TaskConfig
from tokendistill.tasks.dss import DSSTask, HubSource
from tokendistill.tasks.example import Example
from tokendistill.tasks.formatting import NLI_LABELS, nli_text
from tokendistill.tasks.readers import Record

ANLI_TRAIN_ROWS = 16_946
ESNLI_TRAIN_ROWS = 549_367


def nli_label(record: Record) -> str:
    """The label text of a row whose ``label`` is 0/1/2 (or already one of the label words)."""
    value = record.value("label")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(NLI_LABELS):
        return NLI_LABELS[value]
    if isinstance(value, str) and value in NLI_LABELS:
        return value
    allowed = ", ".join(f"{i} {name}" for i, name in enumerate(NLI_LABELS))
    raise record.error(f"label {value!r} is outside the task's label set ({allowed})", "label")


class NLITask(DSSTask):
    """Premise/hypothesis pairs with a three-way label."""

    label_set = NLI_LABELS
    extra_fields: tuple[str, ...] = ()

    def make_example(self, record: Record, role: Split, config: TaskConfig) -> Example:
        premise, hypothesis = record.text("premise"), record.text("hypothesis")
        join_with = config.nli_separator if config.nli_input == "join" else None
        text, spans = nli_text(premise, hypothesis, join_with=join_with)
        meta = self.row_meta(record, role, self.extra_fields)
        return Example(
            id=self.example_id(record, role, "uid"),
            text=text,
            content_spans=spans,
            label=nli_label(record),
            choices=NLI_LABELS,
            meta=meta,
        )


class ANLI1Task(NLITask):
    name = "anli1"
    hub = HubSource("anli", None, {"train": "train_r1", "valid": "dev_r1", "test": "test_r1"})
    extra_fields = ("reason",)
    notes = ("ANLI round 1 (Nie et al. 2020) in the DSS release layout.",)

    def extra_notes(self, config: TaskConfig) -> list[str]:
        if config.train_from != "valid":
            return []
        note = (
            f"ANLI-R1 small-data mode: train = {self.origin(config, 'valid')} minus a "
            f"{config.valid_fraction:.0%} valid hold-out; test = {self.origin(config, 'test')}. "
            f"DSS trained on anli1_train.json ({ANLI_TRAIN_ROWS:,} rows): figures are not comparable"
        )
        notes = [note]
        if config.source == "local" and self._train_file_exists(config):
            notes.append(f"{config.train_file} exists but is unused; set train_from: train for the full task")
        return notes

    def _train_file_exists(self, config: TaskConfig) -> bool:
        return (Path(config.resolved_data_dir()) / self.name / str(config.train_file)).is_file()


class ESNLITask(NLITask):
    name = "esnli"
    hub = HubSource("esnli", None, {"train": "train", "valid": "validation", "test": "test"})
    extra_fields = ("explanation_1", "explanation_2", "explanation_3")
    notes = ("e-SNLI (Camburu et al. 2018) in the DSS release layout.",)

    def extra_notes(self, config: TaskConfig) -> list[str]:
        if config.source == "local" and config.train_file == BUILTIN_FILES[self.name]["train_file"]:
            return [
                f"e-SNLI train = its first 10,000 rows (esnli_train_first10k.json); DSS trained on all "
                f"{ESNLI_TRAIN_ROWS:,}: figures are not comparable"
            ]
        return []
