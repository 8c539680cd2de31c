"""Few-shot chain-of-thought rationales written by a local model: prompts, parsing, and
batched, resumable generation.

The prompt follows the chain-of-thought prompts of Distilling Step-by-Step (Wei et al.
2022): an instruction, then ``shots`` demonstrations and the question, each as::

    Q: <input>                       (+ "\\nOptions: a, b, c" when the input does not list them)
    <answer prefix> <rationale> So the answer is <answer>.

The answer prefix is the model's ``answer_prefix`` (what a decoder-only adapter appends to
the question). The completion is parsed as DSS parses PaLM's: cut where the model starts an
invented next question (``Q:``), then split at "So the answer is"; a completion without it
gives an empty rationale and label (DSS would crash), and is counted.

Demonstrations are hand-written (``demonstrations``) or, for the rest of ``shots``, training
examples whose rationale the model writes itself, told the gold answer (STaR's
rationalization, Zelikman et al. 2022), so any task has few-shot rationales without anyone
writing them. Generation runs in parts of ``PART_BATCHES`` batches, each written atomically
under the artifact's work folder: a killed run resumes without generating a part again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tokendistill.attribution.targets import generate_answers
from tokendistill.models.adapter import ModelAdapter
from tokendistill.runtime.batching import BatchSizer
from tokendistill.runtime.files import read_jsonl, write_jsonl
from tokendistill.runtime.parts import Parts
from tokendistill.tasks.example import Example
from tokendistill.tasks.llm_rationales import LLMOutput

MARKER = "So the answer is"
PART_BATCHES = 4  # batches per part file: a kill loses at most one part's generation
_LETTER = re.compile(r"^\s*\([a-zA-Z]\)\s*")
# Any case: small models (and lower-casing tokenizers) write "so the answer is".
_MARKER = re.compile(re.escape(MARKER), re.IGNORECASE)


@dataclass(frozen=True)
class Shot:
    """One demonstration: an input as the model reads it, its rationale and its answer."""

    input: str
    rationale: str
    answer: str


def question(example: Example) -> str:
    """The example as a question: its text, and its options unless the text lists them."""
    choices = example.choices or ()
    if choices and not all(choice in example.text for choice in choices):
        return f"{example.text}\nOptions: {', '.join(choices)}"
    return example.text


def demonstration(shot: Shot, answer_prefix: str) -> str:
    return f"Q: {shot.input}{answer_prefix} {shot.rationale} {MARKER} {shot.answer}."


def few_shot_prompt(instruction: str, shots: Sequence[Shot], example: Example, answer_prefix: str) -> str:
    """The generation prompt of ``example`` (the adapter appends ``answer_prefix`` itself)."""
    blocks = [instruction, *(demonstration(s, answer_prefix) for s in shots), f"Q: {question(example)}"]
    return "\n\n".join(blocks)


def rationalize_prompt(instruction: str, example: Example) -> str:
    """Asks for the rationale of a training example whose answer is given (a demonstration)."""
    return (
        f"{instruction}\n\nQ: {question(example)}\nThe correct answer is {example.label}. "
        "Explain in one or two sentences why."
    )


def parse(output: str) -> LLMOutput:
    """DSS's parse: ``<rationale> So the answer is <answer>.``, cut at an invented next question;
    empty strings where the marker is missing (or repeated). The marker matches in any case; a
    leading choice letter "(b)" is dropped."""
    parts = _MARKER.split(output.split("Q:")[0].rstrip())
    if len(parts) != 2:
        return LLMOutput("", "")
    label = _LETTER.sub("", parts[1].strip().split("\n")[0]).strip()
    return LLMOutput(parts[0].strip(), label[:-1].strip() if label.endswith(".") else label)


def demo_rationale(output: str) -> str:
    """A rationalization as a demonstration's rationale: its first paragraph, without any
    answer sentence the model added."""
    return _MARKER.split(output.split("Q:")[0].strip().split("\n\n")[0])[0].strip()


def generate_texts(
    adapter: ModelAdapter, prompts: Sequence[str], *, batch_size: int, max_new_tokens: int
) -> list[str]:
    """Greedy completions of ``prompts`` in length-sorted batches, in input order."""
    sizer = BatchSizer(batch_size, batch_size)
    return generate_answers(adapter, prompts, sizer=sizer, max_new_tokens=max_new_tokens)


def generate_resumably(
    adapter: ModelAdapter,
    examples: Sequence[Example],
    prompts: Sequence[str],
    parts: Path,
    *,
    batch_size: int,
    max_new_tokens: int,
) -> list[dict]:
    """One record per example (id, output, rationale, label, parsed), generated in parts under
    ``parts``; parts already there (a killed run's) are read back, not generated again."""

    def generate(chunk: range, part: Path) -> None:
        outputs = generate_texts(
            adapter, [prompts[i] for i in chunk], batch_size=batch_size, max_new_tokens=max_new_tokens
        )
        write_jsonl(part, (_record(examples[i], out) for i, out in zip(chunk, outputs, strict=True)))

    written = Parts(parts, "jsonl").fill(len(examples), batch_size * PART_BATCHES, generate)
    return [record for part in written for record in read_jsonl(part)]


def _record(example: Example, output: str) -> dict:
    parsed = parse(output)
    return {"id": example.id, "output": output, **asdict(parsed), "parsed": bool(parsed.rationale)}
