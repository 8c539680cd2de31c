"""The one error type of the deploy commands (``export``, ``predict``, ``explain``), raised
here and by ``tokendistill.inference``: a one-line message the CLI prints as it is."""

from __future__ import annotations

from tokendistill.errors import InputError


class DeployError(InputError):
    """A model, run directory or input that cannot be used as asked (message: one line)."""
