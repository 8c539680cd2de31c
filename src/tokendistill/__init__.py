"""tokendistill: attribution-guided rationale distillation."""

__version__ = "0.1.0"
