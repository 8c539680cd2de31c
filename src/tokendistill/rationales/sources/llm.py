"""``llm``: an LLM's chain-of-thought rationale (the PaLM rationales of Distilling Step-by-Step)."""

from __future__ import annotations

from tokendistill.rationales.sources.base import RationaleSource, SourceRequest


class LLMSource(RationaleSource):
    """The rationale the task loader attached as ``example.llm_rationale`` (``task.llm_rationales:
    true``); examples without one get an empty rationale."""

    name = "llm"
    summary = "the chain-of-thought text an LLM wrote for the task (DSS data)"
    selects_k = False

    def rationales(self, request: SourceRequest) -> dict[str, str]:
        examples = request.examples
        found = {e.id: e.llm_rationale for e in examples if e.llm_rationale}
        if examples and not found:
            raise ValueError(
                "no example has an LLM rationale: set task.llm_rationales: true (DSS tasks only)"
            )
        return {e.id: found.get(e.id, "") for e in examples}
