"""The Python API, mirroring the command line; every name is also importable from the package
top level (``tokendistill.run``), loaded on first use so ``import tokendistill`` stays light.

* ``load_config(path, overrides)`` / ``run(config)``: a config file to a finished run;
* ``export(run_dir, student, to=...)``: a kept student out of a run (optionally to the Hub);
* ``predict(model, inputs | split=...)``: batched answers, with accuracy when labelled;
* ``attribute(model, inputs)`` / ``explain(model, inputs, out_dir=...)``: token attributions
  of a model's answers, in memory or written as the Parquet artifact plus an HTML page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.console import Console

from tokendistill.config import Config, load_config
from tokendistill.inference.explain import ExplainResult, explain
from tokendistill.inference.explain import attribute_inputs as attribute
from tokendistill.inference.inputs import InputFields
from tokendistill.inference.predict import PredictionResult, predict
from tokendistill.kept.export import export
from tokendistill.pipeline import PipelineResult, run_pipeline

__all__ = [
    "Config",
    "ExplainResult",
    "InputFields",
    "PipelineResult",
    "PredictionResult",
    "attribute",
    "explain",
    "export",
    "load_config",
    "predict",
    "run",
]


def run(
    config: Config | str | os.PathLike[str],
    *,
    until: str = "report",
    overrides: Sequence[str] = (),
    console: Console | None = None,
) -> PipelineResult:
    """Run the pipeline for ``config`` (a ``Config`` or a YAML path) up to stage ``until``;
    finished stages are read from the run directory."""
    if not isinstance(config, Config):
        config = load_config(config, overrides)
    elif overrides:
        raise ValueError("overrides apply to a config file; change a Config with model_copy")
    return run_pipeline(config, until=until, console=console)
