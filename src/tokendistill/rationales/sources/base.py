"""What a rationale source is: a way to write one short rationale text per example.

The pipeline hands a source a ``SourceRequest`` for one split and gets ``{example id:
rationale}`` back; what the source draws on (the teacher's attributions, an LLM's text, the
gold label) is its own business. Its traits tell config validation what a student must say:
``needs_method`` (an attribution method is named), ``selects_k`` (``k`` and ``sweep_k``
apply) and ``options_model`` (the source's own settings: every other key of the student's
``rationale`` section, validated by this pydantic model; ``request.options`` holds them).
``marks_words`` says it can also say *where* its rationale lies in the input (``marks``:
word spans, which guided students learn to decide by). ``uses_model`` says it writes with a
model, so the preflight checks its settings but never runs it. A source that keeps its own
work (generated text, say) as a keyed, resumable artifact asks for one through
``request.cached``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from tokendistill.attribution.result import TokenAttribution
from tokendistill.rationales.marks import Marks
from tokendistill.rationales.select import Selection
from tokendistill.tasks.example import Example

# (method, split) -> that split's attribution records; method None means "any configured
# method" (the records' units and eligibility do not depend on the method's scores).
RecordsFn = Callable[[str | None, str], Sequence[TokenAttribution]]
# produce(out_dir, work_dir) -> summary, as RunContext.build takes it.
Produce = Callable[[Path, Path], dict | None]
# (name, determinants, produce) -> the finished artifact's folder: RunContext.artifact + build.
CacheFn = Callable[[str, Any, Produce], Path]


@dataclass(frozen=True)
class SourceRequest:
    """Everything a source may use to write the rationales of one split. Sources that select
    words need ``k`` and ``selection``; those that read attributions need ``records``; the
    training split (``train_examples``) is what a source may learn from (demonstrations),
    whichever split it writes."""

    examples: Sequence[Example]
    split: str
    train_examples: Sequence[Example] = ()
    k: int = 0
    seed: int = 0
    selection: Selection | None = None
    method: str | None = None
    records: RecordsFn | None = None
    options: BaseModel | None = None
    cache: CacheFn | None = None

    def cached(self, name: str, determinants: Any, produce: Produce) -> Path:
        """The folder of the keyed artifact ``name`` (``determinants`` key it), produced by
        ``produce(out_dir, work_dir)`` unless it is already complete; resumable state belongs
        in ``work_dir``."""
        if self.cache is None:
            raise ValueError("this rationale source keeps its work in an artifact: give the request a cache")
        return self.cache(name, determinants, produce)

    def selected(self) -> tuple[Selection, RecordsFn]:
        """The selection and the records provider, which word-selecting sources need."""
        if self.selection is None or self.records is None or self.k < 1:
            raise ValueError("this rationale source selects k >= 1 words: give k, selection and records")
        return self.selection, self.records


class RationaleSource(ABC):
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line for ``tokendistill sources``
    needs_method: ClassVar[bool] = False
    selects_k: ClassVar[bool] = True
    uses_model: ClassVar[bool] = False
    marks_words: ClassVar[bool] = False
    options_model: ClassVar[type[BaseModel] | None] = None

    @abstractmethod
    def rationales(self, request: SourceRequest) -> dict[str, str]:
        """Example id -> rationale text for every example of ``request.examples``."""

    def marks(self, request: SourceRequest) -> dict[str, Marks]:
        """Example id -> the rationale's words as spans of the example's text, for every
        example with an attribution record of ``request.split`` (sources with ``marks_words``)."""
        raise ValueError(
            f"rationale source {self.name!r} writes text that is not a selection of input words, "
            "so it marks none: guided students take a source that marks words (attribution, random, oracle)"
        )

    def describe(self, options: BaseModel | None) -> str:
        """How reports name the rationales of this source with ``options``."""
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
