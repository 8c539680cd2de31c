"""The one typed config that drives `tokendistill run`.

Every section forbids unknown keys and range-checks its values, so a typo fails with the
key's name instead of being silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tokendistill.attribution.config import AttributionConfig
from tokendistill.tasks.config import TaskConfig
from tokendistill.training.config import TrainingConfig

Split = Literal["train", "valid", "test"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Strict):
    """A model to load: a hub name, a local folder, a packaged short name (``smollm2-135m``,
    ``minilm-encdec``, with an optional ``:layers=N`` cut), or ``tiny-causal`` /
    ``tiny-seq2seq``: a small model initialised from scratch with a tokenizer trained on the
    task's training text (demos and tests)."""

    name: str
    trust_remote_code: bool = False
    answer_prefix: str = "\nAnswer:"
    max_prompt_tokens: int = Field(512, ge=8)
    max_target_tokens: int = Field(64, ge=2)
    tiny_size: int = Field(64, ge=16, description="hidden size of tiny-* models")
    tiny_layers: int = Field(2, ge=1)
    tiny_vocab: int = Field(600, ge=64, description="BPE vocabulary size of tiny-* tokenizers")


class TeacherConfig(_Strict):
    model: ModelConfig
    finetune: bool = True
    training: TrainingConfig = Field(default_factory=TrainingConfig)


class SelectionConfig(_Strict):
    """How top-k rationale words are picked from stored scores (no recomputation)."""

    k: int = Field(5, ge=1, le=64)
    unit: Literal["token", "word"] = "word"
    word_agg: Literal["sum", "max"] = "sum"
    filters: list[Literal["stopwords", "punctuation"]] = Field(default_factory=lambda: ["punctuation"])
    keep_numbers: bool = True
    order: Literal["score", "input"] = "input"


class RationaleConfig(_Strict):
    source: Literal["attribution", "llm", "random", "gold"]
    method: str | None = None
    k: int | None = Field(None, ge=1, le=64)

    @model_validator(mode="after")
    def _method_for_attribution(self) -> RationaleConfig:
        if self.source == "attribution" and not self.method:
            raise ValueError("source 'attribution' needs `method` (one of attribution.methods)")
        if self.source != "attribution" and self.method:
            raise ValueError(f"`method` only applies to source 'attribution', not {self.source!r}")
        return self


class StudentConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.@=+-]+$")
    mode: Literal["standard", "multitask", "hints"]
    labels: Literal["gold", "teacher"] = "gold"
    rationale: RationaleConfig | None = None
    alpha: float = Field(0.5, ge=0.0, le=1.0)
    sweep_k: list[int] = Field(default_factory=list, description="expand into one student per k")

    @model_validator(mode="after")
    def _rationale_for_mode(self) -> StudentConfig:
        if self.mode == "standard" and self.rationale is not None:
            raise ValueError("mode 'standard' trains on labels only; remove `rationale`")
        if self.mode != "standard" and self.rationale is None:
            raise ValueError(f"mode {self.mode!r} needs a `rationale` source")
        if self.sweep_k and (self.rationale is None or self.rationale.source == "llm"):
            raise ValueError("sweep_k needs a rationale source that selects k words")
        return self


class AnalysisConfig(_Strict):
    k_sweep: list[int] = Field(default_factory=lambda: list(range(1, 11)))
    faithfulness_examples: int = Field(100, ge=0)
    heatmaps: int = Field(6, ge=0)


class Config(_Strict):
    run_dir: Path
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    task: TaskConfig
    teacher: TeacherConfig
    attribution: AttributionConfig = Field(default_factory=AttributionConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    student_model: ModelConfig
    student_training: TrainingConfig = Field(default_factory=TrainingConfig)
    students: list[StudentConfig] = Field(min_length=1)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    title: str = "tokendistill report"

    @model_validator(mode="after")
    def _students_refer_to_known_methods(self) -> Config:
        names = [s.name for s in self.students]
        if len(set(names)) != len(names):
            raise ValueError(f"student names must be unique, got {names}")
        # A ValidationError (not ValueError) so the error's key path is the student's
        # `rationale.method`, which config_io turns into a file line.
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "unknown_method",
                    f"student {s.name!r} uses method {s.rationale.method!r}, which is not in "
                    f"attribution.methods {self.attribution.methods}",
                ),
                loc=("students", i, "rationale", "method"),
                input=s.rationale.method,
            )
            for i, s in enumerate(self.students)
            if s.rationale
            and s.rationale.source == "attribution"
            and s.rationale.method not in self.attribution.methods
        ]
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def expanded_students(self) -> list[StudentConfig]:
        """Students with every ``sweep_k`` expanded into one student per k."""
        out = []
        for student in self.students:
            if not student.sweep_k:
                out.append(student)
                continue
            for k in student.sweep_k:
                rationale = student.rationale.model_copy(update={"k": k})
                out.append(
                    student.model_copy(
                        update={"name": f"{student.name}@k={k}", "rationale": rationale, "sweep_k": []}
                    )
                )
        return out
