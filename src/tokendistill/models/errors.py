"""The one error type a user sees when a model spec cannot be honoured.

Loading failures from transformers / huggingface_hub arrive as long multi-line OSErrors
or tracebacks that bury the actual problem. Everything in ``tokendistill.models`` turns
them into a ``ModelSpecError`` whose message is a single sentence saying what is wrong
and what to do, so the CLI can print it as is. It subclasses ``ValueError`` because a bad
spec is a bad argument value.
"""

from __future__ import annotations


class ModelSpecError(ValueError):
    """A model spec (hub name, folder, packaged short name, layer-cut suffix) that cannot be
    loaded, or a model setting (precision, quantization, chat format) it cannot be run with."""
