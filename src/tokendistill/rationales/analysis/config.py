"""Analysis settings: which k the sweeps cover, how much faithfulness costs, the seed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tokendistill.rationales.config import RationaleSize

__all__ = ["AnalysisConfig"]


class AnalysisConfig(BaseModel):
    """Settings of the analyze stage (and of ``tokendistill analyze``).

    * ``k_sweep``: the k values of the gold-overlap and evidence sweeps.
    * ``faithfulness_examples``: training examples scored on the teacher (0 skips it).
    * ``heatmaps``: examples shown as token heatmaps in the report.
    * ``seed``: the seed of the random-k baselines (evidence chance line, faithfulness).
    """

    model_config = ConfigDict(extra="forbid")

    k_sweep: list[RationaleSize] = Field(default_factory=lambda: list(range(1, 11)), min_length=1)
    faithfulness_examples: int = Field(100, ge=0)
    heatmaps: int = Field(6, ge=0)
    seed: int = 0

    @field_validator("k_sweep")
    @classmethod
    def _each_k_once(cls, ks: list[int]) -> list[int]:
        if len(set(ks)) != len(ks):
            raise ValueError(f"k_sweep lists a value twice: {ks}")
        return ks
