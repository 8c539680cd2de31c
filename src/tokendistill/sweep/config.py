"""A sweep: one base run config, knobs to vary, seeds; every cell a cached pipeline run.

``axes`` maps a config key (as ``--set`` writes it, e.g. ``task.synthetic.n_train``) to the
values it takes. ``grid: one_at_a_time`` varies one knob at a time around the base config's
point (the cells along each axis meet at the base point), which is what a plot of test
accuracy against each knob needs; ``grid: full`` takes every combination.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tokendistill.runtime.files import canonical_json, stable_hash


class SweepConfig(BaseModel):
    """A sweep: a base run config, the knobs it varies (``axes``) and the seeds of every cell;
    each cell is a cached pipeline run."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("tokendistill sweep", description="the sweep page's title")
    base: Path = Field(description="the run config every cell starts from (relative to this file)")
    run_dir: Path = Field(description="the folder holding every cell's run directory")
    seeds: list[int] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], min_length=1, description="the students' seeds in every cell"
    )
    set: list[str] = Field(default_factory=list, description="--set overrides applied to every cell")
    axes: dict[str, list[Any]] = Field(
        min_length=1, description="a config key (as --set writes it) -> the values it takes"
    )
    grid: Literal["one_at_a_time", "full"] = Field(
        "one_at_a_time", description="vary one knob at a time around the base point, or every combination"
    )

    @field_validator("axes")
    @classmethod
    def _values_per_axis(cls, axes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in axes.items():
            if not values:
                raise ValueError(f"axis {key!r} has no values")
            if len({canonical_json(v) for v in values}) != len(values):
                raise ValueError(f"axis {key!r} lists a value twice")
            if key in ("run_dir", "seeds"):
                raise ValueError(f"{key!r} is set by the sweep itself, not an axis")
        return axes


class Cell:
    """One point of the sweep: every axis's value there (``values``) and the ones that
    differ from the base config (``settings``, what the cell overrides)."""

    def __init__(self, values: dict[str, Any], settings: dict[str, Any]) -> None:
        self.values = values
        self.settings = settings

    @property
    def key(self) -> str:
        return stable_hash(self.settings, 10)

    @property
    def label(self) -> str:
        return ", ".join(f"{short(k)}={show(v)}" for k, v in self.settings.items()) or "base"

    @property
    def folder(self) -> str:
        """The cell's run directory name: readable, and unique through the key."""
        slug = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in self.label.replace(", ", "_"))
        return f"{slug[:60]}-{self.key}"

    def overrides(self) -> list[str]:
        """The cell's knobs as ``--set`` assignments (values written as YAML flow)."""
        return [f"{key}={_flow(value)}" for key, value in self.settings.items()]


def cells(config: SweepConfig, base_values: dict[str, Any]) -> list[Cell]:
    """The sweep's cells in a stable order, without duplicates.

    ``base_values`` holds each axis key's value in the base config, so that a one-at-a-time
    cell at the base's value is the base cell itself.
    """
    if config.grid == "full":
        combos = itertools.product(*config.axes.values())
        found = [dict(zip(config.axes, combo, strict=True)) for combo in combos]
    else:
        found = [{}] + [{key: value} for key, values in config.axes.items() for value in values]
    out: dict[str, Cell] = {}
    for settings in found:
        values = {**base_values, **settings}
        differing = {k: v for k, v in settings.items() if canonical_json(v) != canonical_json(base_values[k])}
        cell = Cell(values, differing)
        out.setdefault(cell.key, cell)
    return list(out.values())


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**9).strip().removesuffix("...").strip()


def short(key: str) -> str:
    """The last part of a config key (``task.synthetic.n_train`` -> ``n_train``)."""
    return key.rsplit(".", 1)[-1]


def show(value: Any) -> str:
    return "none" if value is None else str(value)
