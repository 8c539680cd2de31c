"""Every error type a user can fix by changing what they gave the tool, in one module.

A config key, a data row, a model spec, a model folder, a run directory: each error type
derives from ``InputError`` (a ``ValueError``: bad input is a bad argument value) and states
the problem in one line that names the file, line and field (or key). The command line
prints an ``InputError`` as it is; anything else is a bug or a failure of the environment,
and gets a log file with its traceback (``commands/failures.py``). Loading failures from
transformers / huggingface_hub arrive as long multi-line errors that bury the problem: the
model loaders turn them into a one-sentence ``ModelSpecError``; task loaders check every row
as they read it and raise ``DataError`` naming the file, the 1-based line and the field.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A problem with the user's input, stated in one line that says where and what to do."""


class ModelSpecError(InputError):
    """A model spec (hub name, folder, packaged short name, layer-cut suffix) that cannot be
    loaded, or a model setting (precision, quantization, chat format) it cannot be run with;
    ``setting`` names that setting's key (``name`` for the spec itself), for config errors."""

    def __init__(self, message: str, setting: str = "name") -> None:
        super().__init__(message)
        self.setting = setting


class PromptTooLong(InputError):
    """A prompt longer than ``max_prompt_tokens`` under the ``truncation: error`` policy."""


class DeployError(InputError):
    """A kept model, run directory or input that ``export``, ``predict`` or ``explain`` cannot
    use as asked (message: one line)."""


class StarterError(InputError):
    """A starter config that ``tokendistill init`` cannot write as asked (message: one line)."""


class DataError(InputError):
    """Bad or missing task data: a folder, file, line or field that cannot be used."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        line_kind: str = "line",
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.line_kind = line_kind
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(f"{self.line_kind} {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem
