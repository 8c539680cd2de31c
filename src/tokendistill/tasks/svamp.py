"""SVAMP (``svamp``): a math word problem whose label is an equation such as ``( 84.0 / 2.0 )``.

Predictions are scored by the equation's value (``tasks/arithmetic.py``), as DSS does, but
without ``eval``. From the "hub" source the task is rebuilt from ``SVAMP.json`` with DSS's
own permutation, which reproduces ``svamp_train.json`` / ``svamp_test.json`` exactly.
"""

from __future__ import annotations

import numpy as np

from tokendistill.tasks.arithmetic import UnsafeExpression, evaluate
from tokendistill.tasks.config import Split, TaskConfig
from tokendistill.tasks.dss import DSSTask, HubSource
from tokendistill.tasks.example import Example
from tokendistill.tasks.formatting import split_svamp_input, svamp_text
from tokendistill.tasks.readers import Record, read_json_list

SVAMP_FILE = "SVAMP.json"
DSS_SVAMP_TRAIN_SIZE = 800
DSS_SVAMP_SEED = 0


def svamp_equation(record: Record) -> tuple[str, float]:
    """The gold equation and its value; an equation we cannot evaluate is a data error."""
    equation = record.text("label")
    try:
        return equation, evaluate(equation)
    except (UnsafeExpression, ZeroDivisionError) as err:
        raise record.error(f"gold equation {equation!r} cannot be evaluated: {err}", "label") from err


class SVAMPTask(DSSTask):
    name = "svamp"
    metric = "numeric"
    hub = HubSource(SVAMP_FILE, None, {"train": "train", "test": "test"})
    notes = (
        "SVAMP (Patel et al. 2021): 800 train / 200 test as split by DSS; valid is a hold-out of train.",
    )

    def make_example(self, record: Record, role: Split, config: TaskConfig) -> Example:
        body, question = split_svamp_input(record.text("input"))
        equation, value = svamp_equation(record)
        text, spans = svamp_text(body, question)
        meta = self.row_meta(record, role, ("svamp_id", "svamp_answer"), answer=value)
        return Example(
            id=self.example_id(record, role, "svamp_id"),
            text=text,
            content_spans=spans,
            label=equation,
            meta=meta,
        )

    def read_hub(self, config: TaskConfig, roles: list[Split]) -> dict[Split, list[Record]]:
        """DSS's ``SVAMPDatasetLoader.load_from_source``: SVAMP.json, RandomState(0) permutation."""
        path = self.task_dir(config) / SVAMP_FILE
        problems = read_json_list(path)
        rows = [self._row(path, i, item) for i, item in enumerate(problems)]
        order = np.random.RandomState(seed=DSS_SVAMP_SEED).permutation(len(rows))
        picked = {"train": order[:DSS_SVAMP_TRAIN_SIZE], "test": order[DSS_SVAMP_TRAIN_SIZE:]}
        out = {}
        for role in roles:
            source = f"{path} ({role} part)"
            out[role] = [
                Record(source, int(i) + 1, row, rows[int(i)], line_kind="item")
                for row, i in enumerate(picked[role])
            ]
        return out

    @staticmethod
    def _row(path: object, index: int, item: object) -> dict:
        if not isinstance(item, dict):
            raise Record(str(path), index + 1, index, {}, "item").error("expected a JSON object")
        record = Record(str(path), index + 1, index, item, "item")
        return {
            "input": f"{record.text('Body')}\n{record.text('Question')}",
            "label": record.text("Equation"),
            "svamp_id": item.get("ID"),
            "svamp_answer": item.get("Answer"),
        }
