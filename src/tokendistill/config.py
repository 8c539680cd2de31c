"""The one typed config that drives `tokendistill run`.

Every section forbids unknown keys and range-checks its values, so a typo fails with the
key's name instead of being silently ignored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from tokendistill.attribution.config import AttributionConfig
from tokendistill.config_io import SourceMap, load_located
from tokendistill.models.config import ModelConfig
from tokendistill.rationales.analysis.config import AnalysisConfig
from tokendistill.rationales.config import RationaleSize, SelectionConfig
from tokendistill.rationales.sources import get_source, list_sources
from tokendistill.tasks.config import TaskConfig
from tokendistill.tracking.config import TrackingConfig
from tokendistill.training.config import TrainingConfig
from tokendistill.training.modes import ModeOptions, get_mode, list_modes, mode_options

# Which students keep their trained model: every seed, the best seed on validation, or none.
KeepModels = Literal["all", "best", "none"]


def registered(get: Callable[[str], object]) -> AfterValidator:
    """A name's check against a registry: ``get``'s error names the registered ones."""

    def check(name: str) -> str:
        get(name)
        return name

    return AfterValidator(check)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeacherConfig(_Strict):
    """The teacher: fine-tuned once on gold labels with ``seed`` (or used as it is with
    ``finetune: false``); the run's ``seeds`` are the students' seeds."""

    model: ModelConfig = Field(description="the teacher model")
    finetune: bool = Field(
        True, description="fine-tune on the gold labels first; false uses the model as it is"
    )
    seed: int = Field(0, description="the seed of the teacher's one training run")
    training: TrainingConfig = Field(default_factory=TrainingConfig, description="how the teacher trains")


class _NoOptions(_Strict):
    """The options of a source that takes none: any key is refused, by name."""


class RationaleConfig(BaseModel):
    """Where a student's rationales come from: a registered source (``list_sources()``), the
    attribution method for sources that need one, ``k`` (default: ``selection.k``), and any
    other key as the source's own settings, validated by the source (``options_model``)."""

    model_config = ConfigDict(extra="allow")

    source: Annotated[str, registered(get_source)] = Field(
        description="where rationales come from: a registered source (tokendistill sources)"
    )
    method: str | None = Field(None, description="the attribution method, for sources that need one")
    k: RationaleSize | None = Field(None, description="words per rationale (default: selection.k)")

    def source_options(self) -> BaseModel | None:
        """The source's own settings, validated (defaults filled in); None for a source without."""
        model = get_source(self.source).options_model
        return None if model is None else model.model_validate(self.model_extra or {})

    @model_validator(mode="after")
    def _method_and_k_fit_the_source(self) -> RationaleConfig:
        impl = get_source(self.source)
        if impl.needs_method and not self.method:
            raise ValueError(f"source {self.source!r} needs `method` (one of attribution.methods)")
        if not impl.needs_method and self.method:
            raise ValueError(f"`method` does not apply to source {self.source!r}")
        if not impl.selects_k and self.k is not None:
            raise ValueError(f"`k` does not apply to source {self.source!r}: it selects no words")
        (impl.options_model or _NoOptions).model_validate(self.model_extra or {})  # errors name the key
        return self


class StudentConfig(BaseModel):
    """One student: a registered mode (``list_modes()``), its labels, its rationale source,
    ``sweep_k`` and, as further keys, its mode's own options (``options``, validated by the
    mode: ``alpha`` and ``label_warmup_steps`` of the two-task modes, ``soft_labels`` of the
    soft-label modes; ``tokendistill modes`` lists each mode's)."""

    model_config = ConfigDict(extra="allow")

    # It names the student's folders in the run directory: one plain path component.
    name: str = Field(
        pattern=r"^[A-Za-z0-9_@=+-][A-Za-z0-9_.@=+-]{0,99}$",
        description="the student's name in the report and its folders",
    )
    mode: Annotated[str, registered(get_mode)] = Field(
        description="how it trains: a registered mode (tokendistill modes)"
    )
    labels: Literal["gold", "teacher"] = Field(
        "gold", description="train on the gold labels or on the teacher's answers"
    )
    rationale: RationaleConfig | None = Field(None, description="the rationale source of two-task modes")
    sweep_k: list[RationaleSize] = Field(default_factory=list, description="expand into one student per k")
    _options: ModeOptions | None = PrivateAttr(default=None)

    @property
    def options(self) -> ModeOptions:
        """The mode's options, validated, defaults filled in."""
        if self._options is None:  # a copy made without validation (model_copy(update=...))
            self._options = mode_options(self.mode, self.model_extra or {})
        return self._options

    def determinants(self) -> dict:
        """What determines the student's training: its keys with the mode's options resolved."""
        fields = self.model_dump(mode="json", exclude=set(self.model_extra or {}))
        return {**fields, "options": self.options.model_dump(mode="json")}

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        """A key that is neither a student's nor any mode's option is a typo: refused by name
        before anything else (a misspelt ``mode`` is named as such, not as a missing mode)."""
        if not isinstance(data, dict):
            return data
        known = set(cls.model_fields) | {
            k for m in list_modes() for k in get_mode(m).options_model.model_fields
        }
        errors = [
            InitErrorDetails(type="extra_forbidden", loc=(key,), input=value)
            for key, value in data.items()
            if key not in known
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data

    @model_validator(mode="after")
    def _fits_the_mode(self) -> StudentConfig:
        mode = get_mode(self.mode)
        if not mode.needs_rationale and self.rationale is not None:
            raise ValueError(f"mode {self.mode!r} trains on labels only; remove `rationale`")
        if mode.needs_rationale and self.rationale is None:
            raise ValueError(f"mode {self.mode!r} needs a `rationale` source")
        if self.sweep_k and (self.rationale is None or not get_source(self.rationale.source).selects_k):
            raise ValueError("sweep_k needs a rationale source that selects k words")
        if len(set(self.sweep_k)) != len(self.sweep_k):
            raise ValueError(f"sweep_k lists a value twice: {self.sweep_k}")
        extra = self.model_extra or {}
        for key in extra:
            takers = [m for m in list_modes() if key in get_mode(m).options_model.model_fields]
            if key not in mode.options_model.model_fields and takers:
                raise ValueError(
                    f"`{key}` does not apply to mode {self.mode!r}; modes that take it: {takers}"
                )
        self._options = mode.options_model.model_validate(extra)  # its errors name the key
        if mode.needs(self._options).marks and not get_source(self.rationale.source).marks_words:
            marking = [name for name in list_sources() if get_source(name).marks_words]
            raise ValueError(
                f"mode {self.mode!r} is guided by the input words a rationale marks; source "
                f"{self.rationale.source!r} marks none: use one of {marking}"
            )
        return self


class Config(_Strict):
    """A run: the task, the teacher, how its tokens are scored and selected, the students."""

    run_dir: Path = Field(description="the folder every artifact of the run is written to")
    seeds: list[int] = Field(
        default_factory=lambda: [0],
        min_length=1,
        description="the students' seeds: each trains once per seed",
    )
    task: TaskConfig = Field(description="the task and its data")
    teacher: TeacherConfig = Field(description="the teacher: its model and training")
    attribution: AttributionConfig = Field(
        default_factory=AttributionConfig, description="how the teacher's input tokens are scored"
    )
    selection: SelectionConfig = Field(
        default_factory=SelectionConfig, description="how top-k rationale words are picked from the scores"
    )
    student_model: ModelConfig = Field(description="the model every student starts from")
    student_training: TrainingConfig = Field(
        default_factory=TrainingConfig, description="how every student trains"
    )
    students: list[StudentConfig] = Field(min_length=1, description="the students to train and compare")
    analysis: AnalysisConfig = Field(
        default_factory=AnalysisConfig, description="the rationale analyses of the report"
    )
    tracking: TrackingConfig = Field(
        default_factory=TrackingConfig, description="where the run's training logs and pipeline figures go"
    )
    keep_models: KeepModels = Field("all", description="students' models kept: all, best seed, or none")
    title: str = Field("tokendistill report", description="the report's title")
    _source: SourceMap | None = PrivateAttr(default=None)

    @property
    def source(self) -> SourceMap | None:
        """Where every value came from (file, line, ``--set``) when the config was read from a
        file by ``load_config``: an error found later names the line of the value at fault."""
        return self._source

    @field_validator("seeds")
    @classmethod
    def _each_seed_once(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds lists a seed twice: {seeds} (each seed trains every student once)")
        return seeds

    @model_validator(mode="after")
    def _students_refer_to_known_methods(self) -> Config:
        names = [s.name for s in self.expanded_students()]
        # ValidationErrors (not ValueErrors) so that each error's key path is the value at
        # fault, which config_io turns into a file line.
        if len(set(names)) != len(names):
            problem = f"student names must be unique (sweep_k adds @k=<k> to a name), got {names}"
            details = InitErrorDetails(
                type=PydanticCustomError("duplicate_name", problem), loc=("students",), input=names
            )
            raise ValidationError.from_exception_data(type(self).__name__, [details])
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
            if s.rationale and s.rationale.method and s.rationale.method not in self.attribution.methods
        ]
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def expanded_students(self) -> list[StudentConfig]:
        """The students as the stages train them: every ``sweep_k`` expanded into one student
        per k, and every rationale that selects words given its effective ``k`` (its own, or
        ``selection.k``); the one place that default is resolved."""
        out = []
        for student in self.students:
            rationale = student.rationale
            if rationale is None or not get_source(rationale.source).selects_k:
                out.append(student)
                continue
            for k in student.sweep_k or [rationale.k or self.selection.k]:
                name = f"{student.name}@k={k}" if student.sweep_k else student.name
                update = {"name": name, "rationale": rationale.model_copy(update={"k": k}), "sweep_k": []}
                out.append(student.model_copy(update=update))
        return out


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Config:
    """The validated run config of a YAML file, with ``key=value`` overrides as ``--set`` takes
    them (``ConfigError`` names the file, line and key of every problem); it remembers where
    its values came from (``Config.source``)."""
    config, source = load_located(Path(path), Config, list(overrides))
    config._source = source
    return config
