"""What a rationale source is: a way to write one short rationale text per example.

The pipeline hands a source a ``SourceRequest`` for one split and gets ``{example id:
rationale}`` back; what the source draws on (the teacher's attributions, an LLM's text, the
gold label) is its own business. Its traits tell config validation what a student must say:
``needs_method`` (an attribution method is named) and ``selects_k`` (``k`` and ``sweep_k``
apply).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.select import Selection
from tokendistill.tasks.example import Example

# (method, split) -> that split's attribution records; method None means "any configured
# method" (the records' units and eligibility do not depend on the method's scores).
RecordsFn = Callable[[str | None, str], Sequence[TokenAttribution]]


@dataclass(frozen=True)
class SourceRequest:
    """Everything a source may use to write the rationales of one split. Sources that select
    words need ``k`` and ``selection``; those that read attributions need ``records``."""

    examples: Sequence[Example]
    split: str
    k: int = 0
    seed: int = 0
    selection: Selection | None = None
    method: str | None = None
    records: RecordsFn | None = None

    def selected(self) -> tuple[Selection, RecordsFn]:
        """The selection and the records provider, which word-selecting sources need."""
        if self.selection is None or self.records is None or self.k < 1:
            raise ValueError("this rationale source selects k >= 1 words: give k, selection and records")
        return self.selection, self.records


class RationaleSource(ABC):
    name: ClassVar[str] = ""
    needs_method: ClassVar[bool] = False
    selects_k: ClassVar[bool] = True

    @abstractmethod
    def rationales(self, request: SourceRequest) -> dict[str, str]:
        """Example id -> rationale text for every example of ``request.examples``."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
