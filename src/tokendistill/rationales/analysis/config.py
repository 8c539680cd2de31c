"""Analysis settings: which k the sweeps cover, how much faithfulness costs, the seed."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tokendistill.rationales.config import RationaleSize

__all__ = ["AnalysisConfig"]

# A rationale-size bin of AOPC: a share of an example's rankable units.
BinShare = Annotated[float, Field(gt=0.0, le=1.0)]


class AnalysisConfig(BaseModel):
    """Settings of the analyze stage (and of ``tokendistill analyze``). AOPC is scored on the
    same ``faithfulness_examples``; its default bins are ERASER's."""

    model_config = ConfigDict(extra="forbid")

    k_sweep: list[RationaleSize] = Field(
        default_factory=lambda: list(range(1, 11)),
        min_length=1,
        description="the k values of the gold-overlap and evidence sweeps",
    )
    faithfulness_examples: int = Field(
        100, ge=0, description="training examples scored for faithfulness on the teacher (0 skips it)"
    )
    aopc_bins: list[BinShare] = Field(
        default_factory=lambda: [0.01, 0.05, 0.10, 0.20, 0.50],
        description="AOPC's rationale sizes as shares of each example's words (empty skips AOPC)",
    )
    heatmaps: int = Field(6, ge=0, description="examples shown as token heatmaps in the report")
    seed: int = Field(
        0, description="the seed of the random-k baselines (evidence chance line, faithfulness)"
    )

    @field_validator("k_sweep", "aopc_bins")
    @classmethod
    def _each_value_once(cls, values: list, info: ValidationInfo) -> list:
        if len(set(values)) != len(values):
            raise ValueError(f"{info.field_name} lists a value twice: {values}")
        return values
