"""``llm``: an LLM's chain-of-thought rationale (the PaLM rationales of Distilling Step-by-Step)."""

from __future__ import annotations

from tokendistill.rationales.sources.base import RationaleSource, SourceRequest
from tokendistill.tasks.llm_rationales import RATIONALE_KEY


class LLMSource(RationaleSource):
    """The rationale the task loader attached to ``example.meta`` (``task.llm_rationales:
    true``); examples without one get an empty rationale."""

    name = "llm"
    summary = "the chain-of-thought text an LLM wrote for the task (DSS data)"
    selects_k = False

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        examples = request.examples
        found = {e.id: str(e.meta[RATIONALE_KEY]) for e in examples if e.meta.get(RATIONALE_KEY)}
        if examples and not found:
            raise ValueError(
                "no example has an LLM rationale: set task.llm_rationales: true (DSS tasks only)"
            )
        return {e.id: found.get(e.id, "") for e in examples}
