"""The one attribution config: engine settings, and the pipeline section built on them.

``AttributionSettings`` is what the engine (``attribute``, ``attribute_to_artifact``) needs
for a run: what is attributed and how examples are batched. ``AttributionConfig`` is the
``attribution`` section of a run config: the settings plus which methods run, their
options and the resumable chunk size. Both are validated once, by pydantic, when built;
a method's options are checked by building the method (its constructor names a bad key).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tokendistill.attribution.methods.base import AttributionMethod
from tokendistill.attribution.objective import Aggregation, AttributedFn
from tokendistill.attribution.registry import get_method, list_methods
from tokendistill.runtime.batching import AUTO

TargetSource = Literal["teacher", "gold"]


class AttributionSettings(BaseModel):
    """What is attributed, and how examples are batched.

    ``per_step`` aggregation attributes every target token separately and averages the
    per-token scores (Inseq's convention); ``sequence`` differentiates their mean once (the
    paper; one backward). A ``contrastive`` foil is the best other answer choice (the example's
    ``choices``: CQA's answers, NLI labels, a custom task's choices field or label set); every
    method that scores through the attributed function gets it (saliency, input×gradient,
    integrated gradients, leave-one-out), attention and the random control do not read it.
    ``batch_size: auto`` halves from 64 on out-of-memory errors (no example is dropped or
    repeated, and scores do not depend on it); methods that expand an example into many rows
    (integrated gradients, leave-one-out) bound rows with their own option.
    """

    model_config = ConfigDict(extra="forbid")

    target: TargetSource = Field(
        "teacher", description="the answer attributed: the teacher's own (the paper) or the gold label"
    )
    attributed_fn: AttributedFn = Field(
        "logprob", description="what is differentiated per target token: log-probability, probability, logit"
    )
    aggregation: Aggregation = Field(
        "sequence", description="over target tokens: their mean at once, or each token then averaged"
    )
    batch_size: int | Literal["auto"] = Field(
        16, description="examples per forward pass, or auto: the largest that fits in memory"
    )
    max_new_tokens: int | None = Field(
        None, ge=1, description="cap on the teacher's generated answer (default: the model's limit)"
    )
    contrastive: bool = Field(
        False, description="attribute the margin of the answer over the likeliest other choice"
    )

    @field_validator("contrastive")
    @classmethod
    def _contrast_needs_a_sequence_margin(cls, contrastive: bool, info: ValidationInfo) -> bool:
        if contrastive and info.data.get("aggregation", "sequence") != "sequence":
            raise ValueError(
                "contrastive attribution differentiates a sequence-level margin: set aggregation: sequence"
            )
        return contrastive

    @field_validator("batch_size", mode="before")
    @classmethod
    def _whole_or_auto(cls, value: Any) -> Any:
        if value == AUTO:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"must be a whole number greater than or equal to 1, or {AUTO!r}; got {value!r}")
        return value

    def settings_dict(self) -> dict[str, Any]:
        """The engine settings alone as plain JSON-able values (also on a subclass instance),
        for artifact metadata and cache keys."""
        return self.model_dump(mode="json", include=set(AttributionSettings.model_fields))


class AttributionConfig(AttributionSettings):
    """Which methods score the teacher's input tokens, and what they differentiate.

    ``options`` holds per-method settings by method name, e.g.
    ``{integrated_gradients: {n_steps: 32, baseline: zero}}``; each method checks its own.
    """

    methods: list[str] = Field(
        default_factory=lambda: ["saliency"],
        min_length=1,
        description="the methods run (tokendistill methods)",
    )
    options: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="settings per method name, e.g. {integrated_gradients: {n_steps: 32}}",
    )
    chunk_size: int = Field(256, ge=1, description="examples per resumable part file")

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, methods: list[str]) -> list[str]:
        known = list_methods()
        bad = [m for m in methods if m not in known]
        if bad:
            raise ValueError(f"unknown attribution method(s) {bad}; allowed: {known}")
        if len(set(methods)) != len(methods):
            raise ValueError("attribution methods are listed twice")
        return methods

    @field_validator("options")
    @classmethod
    def _options_build_their_method(
        cls, options: dict[str, dict[str, Any]], info: ValidationInfo
    ) -> dict[str, dict[str, Any]]:
        methods = info.data.get("methods")  # absent when `methods` itself was invalid
        for name, opts in options.items():
            if methods is not None and name not in methods:
                raise ValueError(f"options given for {name!r}, which is not in methods {methods}")
            get_method(name, **opts)  # the method's own constructor names a bad option
        return options

    @property
    def settings(self) -> AttributionSettings:
        """The engine's slice of this section (already validated, so not checked again)."""
        return AttributionSettings.model_construct(**self.settings_dict())

    def method(self, name: str) -> AttributionMethod:
        """Method ``name`` (one of ``methods``) built with its configured ``options``."""
        if name not in self.methods:
            raise ValueError(f"attribution method {name!r} is not in methods {self.methods}")
        return get_method(name, **self.options.get(name, {}))
