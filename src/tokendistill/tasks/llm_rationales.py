"""PaLM chain-of-thought rationales of the DSS release, parsed and aligned with their rows.

``<task>/llm/<split>_CoT_<k>.json`` is a JSON list of raw completions; element i of batch k
belongs to row ``k*B + i`` of the split's file (B per task: ``PALM_BATCH_SIZES``). The
completions often run on into an invented next few-shot example, which the per-task
parsers cut off exactly as DSS's ``_parse_llm_output`` does. Where DSS would crash (no
"So the answer is"), the parsers return empty strings instead. Alignment happens on the
full file, before any hold-out, so a row keeps its own rationale wherever it ends up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tokendistill.errors import DataError
from tokendistill.tasks.example import Example
from tokendistill.tasks.readers import read_json_list

PALM_BATCH_SIZES: dict[str, int] = {"anli1": 5000, "cqa": 1000, "esnli": 5500, "svamp": 500}


@dataclass(frozen=True)
class LLMOutput:
    """A parsed completion; empty strings where the completion could not be parsed."""

    rationale: str
    label: str


def parse_cqa(output: str) -> LLMOutput:
    """ "<rationale> So the answer is (x) <text>." -> (rationale, text)."""
    parts = output.split("Q:")[0].rstrip().split("So the answer is")
    if len(parts) != 2:
        return LLMOutput("", "")
    rationale = parts[0].rstrip()
    pieces = re.split(r"\(.\)", parts[1])
    label = pieces[1].strip() if len(pieces) > 1 else ""
    if label.endswith("."):
        label = label[:-1]
    return LLMOutput(rationale, label)


def parse_svamp(output: str) -> LLMOutput:
    """ "<rationale> The answer is (<expr>)." -> (rationale, "(<expr>)")."""
    parts = output.split("Q:")[0].rstrip().split("The answer is")
    if len(parts) != 2:
        return LLMOutput("", "")
    match = re.search(r"\(.*\)", parts[1])
    return LLMOutput(parts[0].rstrip(), match.group(0) if match else "")


def parse_esnli(output: str) -> LLMOutput:
    """ "<rationale>\\nAnswer: <label>\\n\\nPremise: ..." -> (rationale, label)."""
    rationale = output.split("Answer:")[0].rstrip()
    parts = output.split("Answer: ")
    label = parts[1].split("Premise")[0].rstrip() if len(parts) > 1 else ""
    return LLMOutput(rationale, label)


def parse_anli(output: str) -> LLMOutput:
    """ "<rationale> So the answer is <label>.\\n\\nPremise: ..." -> (rationale, label)."""
    parts = output.split("Premise:")[0].rstrip().split("So the answer is")
    if len(parts) != 2:
        return LLMOutput("", "")
    return LLMOutput(parts[0].rstrip(), parts[1].lstrip()[:-1])


PARSERS: dict[str, Callable[[str], LLMOutput]] = {
    "anli1": parse_anli,
    "cqa": parse_cqa,
    "esnli": parse_esnli,
    "svamp": parse_svamp,
}


def output_files(task_dir: Path, prefix: str) -> list[Path]:
    """``llm/<prefix>_CoT_0.json``, ``_1``, ... up to the first missing index."""
    files = []
    while (path := task_dir / "llm" / f"{prefix}_CoT_{len(files)}.json").is_file():
        files.append(path)
    return files


def load_llm_outputs(task: str, task_dir: Path, prefix: str) -> list[LLMOutput]:
    """All parsed outputs for one split file, in row order, with batch sizes checked."""
    files = output_files(task_dir, prefix)
    if not files:
        missing = task_dir / "llm" / f"{prefix}_CoT_0.json"
        raise DataError("no PaLM outputs for this split; set llm_rationales: false", file=missing)
    batch_size, parser = PALM_BATCH_SIZES[task], PARSERS[task]
    outputs: list[LLMOutput] = []
    for k, path in enumerate(files):
        batch = read_json_list(path)
        if len(batch) > batch_size or (k < len(files) - 1 and len(batch) != batch_size):
            raise DataError(
                f"{len(batch)} outputs, expected {batch_size} per batch: rows would misalign", file=path
            )
        for i, item in enumerate(batch):
            if not isinstance(item, str):
                raise DataError(f"expected a string, got {type(item).__name__}", file=path, field=f"[{i}]")
            outputs.append(parser(item))
    return outputs


def attach_llm_outputs(
    examples: Sequence[Example], outputs: Sequence[LLMOutput], what: str
) -> tuple[list[Example], list[str]]:
    """Examples (row order) with ``llm_rationale`` / ``llm_label`` from ``outputs``.

    More outputs than rows is allowed (e-SNLI train here has 10,000 of the 11,000 rows
    PaLM saw): the first ones are aligned and a note says so. Fewer is an error.
    """
    if len(outputs) < len(examples):
        raise DataError(f"only {len(outputs):,} PaLM outputs for {len(examples):,} rows of {what}")
    notes = []
    if len(outputs) > len(examples):
        notes.append(
            f"{what}: {len(outputs):,} PaLM outputs for {len(examples):,} rows; "
            f"the first {len(examples):,} are aligned row by row, the rest unused"
        )
    attached = [
        replace(ex, llm_rationale=out.rationale, llm_label=out.label)
        for ex, out in zip(examples, outputs[: len(examples)], strict=True)
    ]
    return attached, notes
