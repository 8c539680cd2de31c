"""Analysis settings: which k the sweeps cover, how much faithfulness costs, the seed."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tokendistill.rationales.config import RationaleSize

__all__ = ["AnalysisConfig"]

# A rationale-size bin of AOPC: a share of an example's rankable units.
BinShare = Annotated[float, Field(gt=0.0, le=1.0)]


class AnalysisConfig(BaseModel):
    """Settings of the analyze stage (and of ``tokendistill analyze``).

    * ``k_sweep``: the k values of the gold-overlap and evidence sweeps.
    * ``faithfulness_examples``: training examples scored on the teacher (0 skips it).
    * ``aopc_bins``: the rationale-size bins of AOPC, as shares of each example's rankable
      units (ERASER's 1, 5, 10, 20 and 50 %); empty skips AOPC. Scored on the same
      ``faithfulness_examples``.
    * ``heatmaps``: examples shown as token heatmaps in the report.
    * ``seed``: the seed of the random-k baselines (evidence chance line, faithfulness).
    """

    model_config = ConfigDict(extra="forbid")

    k_sweep: list[RationaleSize] = Field(default_factory=lambda: list(range(1, 11)), min_length=1)
    faithfulness_examples: int = Field(100, ge=0)
    aopc_bins: list[BinShare] = Field(default_factory=lambda: [0.01, 0.05, 0.10, 0.20, 0.50])
    heatmaps: int = Field(6, ge=0)
    seed: int = 0

    @field_validator("k_sweep", "aopc_bins")
    @classmethod
    def _each_value_once(cls, values: list, info: ValidationInfo) -> list:
        if len(set(values)) != len(values):
            raise ValueError(f"{info.field_name} lists a value twice: {values}")
        return values
