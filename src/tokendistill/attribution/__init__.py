"""Token attribution: which prompt tokens drive the teacher's (forced) answer.

One batched, teacher-forced core (``objective.Objective``) under a registry of methods
(``list_methods()``: saliency, input_x_gradient, integrated_gradients, attention,
leave_one_out, and ``random``, a random-score control; ``method_class(name)`` answers a
method's traits without building it, ``get_method(name, **options)`` builds one). Whether a
teacher's answer is correct is judged by the task's metric or, by default, the tasks' own
``exact_match``. ``attribute`` is the entry point; ``artifact.attribute_to_artifact``
writes its records as a resumable artifact, split across ``accelerate launch`` processes.
``AttributionSettings`` configures the engine; ``AttributionConfig`` is the run config's
section (the settings plus methods, their options and the chunk size).
"""

from tokendistill.attribution.config import AttributionConfig, AttributionSettings
from tokendistill.attribution.methods.base import AttributionMethod, MethodInputs, RawStep
from tokendistill.attribution.objective import GradientStep, Objective
from tokendistill.attribution.registry import get_method, list_methods, method_class, register, unregister
from tokendistill.attribution.result import TokenAttribution
from tokendistill.attribution.run import attribute, run_metadata, score_batch
from tokendistill.tasks.metrics import exact_match  # the default judge of a teacher's answer

__all__ = [
    "AttributionConfig",
    "AttributionMethod",
    "AttributionSettings",
    "GradientStep",
    "MethodInputs",
    "Objective",
    "RawStep",
    "TokenAttribution",
    "attribute",
    "exact_match",
    "get_method",
    "list_methods",
    "method_class",
    "register",
    "run_metadata",
    "score_batch",
    "unregister",
]
