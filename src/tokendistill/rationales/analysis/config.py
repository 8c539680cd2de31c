"""Analysis settings: which k the sweeps cover, how much faithfulness costs, the seed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnalysisConfig"]


class AnalysisConfig(BaseModel):
    """Settings of the analyze stage (and of ``tokendistill analyze``).

    * ``k_sweep``: the k values of the gold-overlap and evidence sweeps.
    * ``faithfulness_examples``: training examples scored on the teacher (0 skips it).
    * ``heatmaps``: examples shown as token heatmaps in the report.
    * ``seed``: the seed of the random-k baselines (evidence chance line, faithfulness).
    """

    model_config = ConfigDict(extra="forbid")

    k_sweep: list[int] = Field(default_factory=lambda: list(range(1, 11)))
    faithfulness_examples: int = Field(100, ge=0)
    heatmaps: int = Field(6, ge=0)
    seed: int = 0
