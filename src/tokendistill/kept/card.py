"""The model card (``README.md`` with Hugging Face metadata) of every kept teacher and student.

It is rendered from the manifest alone, so a kept folder, its export and its Hub upload
all describe the model the same way: base model, task and splits, method (rationale
source, attribution method, k, α), the prompt format, validation and test accuracy with
the 95 % Wilson interval, the seed and the config that produced it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from tokendistill.kept.manifest import ModelManifest, write_manifest
from tokendistill.models.spec import parse_spec, spec_kind
from tokendistill.runtime.files import atomic_write_text
from tokendistill.stats import wilson_interval
from tokendistill.tasks import Example
from tokendistill.training.modes import get_mode

CARD = "README.md"
INPUT_PLACEHOLDER = "{input}"
RATIONALE_PLACEHOLDER = "{rationale}"


def write_kept_model(folder: Path, manifest: ModelManifest) -> None:
    """Write ``tokendistill.json`` and the model card into a saved model folder."""
    write_manifest(folder, manifest)
    atomic_write_text(folder / CARD, str(render_card(manifest)))


def render_card(manifest: ModelManifest) -> ModelCard:
    """The model card: Hub metadata (base model, pipeline, accuracy as model-index) and a body."""
    pipeline = "text-generation" if manifest.architecture == "causal" else "text2text-generation"
    results = []
    if manifest.accuracy.test is not None:
        results.append(
            EvalResult(
                task_type=pipeline,
                dataset_type=manifest.task.name,
                dataset_name=manifest.task.name,
                dataset_split="test",
                metric_type="accuracy",
                metric_value=manifest.accuracy.test,
            )
        )
    data = ModelCardData(
        base_model=_hub_base(manifest.base_model),
        library_name="transformers",
        pipeline_tag=pipeline,
        tags=["tokendistill", "distillation", manifest.role, manifest.mode],
        model_name=_title(manifest),
        eval_results=results or None,
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{_body(manifest)}")


def prompt_format(manifest: ModelManifest) -> str:
    """The model's input with ``{input}`` for the task-formatted text (and ``{rationale}``
    where the mode reads one), answer prefix included: what the model must be given."""
    mode = get_mode(manifest.mode)
    probe = Example("probe", INPUT_PLACEHOLDER, ((0, len(INPUT_PLACEHOLDER)),), "")
    rationale = RATIONALE_PLACEHOLDER if mode.rationale_at_inference else None
    prompt = mode.prompt(probe, rationale)
    return prompt + (manifest.adapter.answer_prefix if manifest.architecture == "causal" else "")


def _title(manifest: ModelManifest) -> str:
    if manifest.role == "teacher":
        return f"{manifest.task.name} teacher ({manifest.base_model})"
    return f"{manifest.name} (seed {manifest.seed}): {manifest.task.name} student distilled with tokendistill"


def _hub_base(spec: str) -> str | None:
    """``base_model`` metadata only for Hub names (a packaged or tiny name is not a Hub id)."""
    parsed = parse_spec(spec)
    try:
        return parsed.base if spec_kind(parsed) == "hub" else None
    except ValueError:
        return None


def _body(m: ModelManifest) -> str:
    return "\n\n".join(
        [f"# {_title(m)}", _summary(m), _method(m), _results(m), _task(m), _usage(m), _config(m)]
    )


def _summary(m: ModelManifest) -> str:
    if m.teacher is not None:
        what = f"distilled from the teacher `{m.teacher}`"
    else:
        source = m.method.rationale_source
        what = f"fine-tuned on {m.method.labels} labels" + (f" with {source} rationales" if source else "")
    return (
        f"A {m.architecture} language model (base: `{m.base_model}`) {what} on the task "
        f"`{m.task.name}` with [tokendistill](https://arxiv.org/abs/2409.12586) "
        f"(student mode `{m.mode}`, seed {m.seed})."
    )


def _method(m: ModelManifest) -> str:
    method = m.method
    rows = [
        ("role", m.role),
        ("student mode", m.mode),
        ("labels", method.labels),
        ("rationale source", method.rationale_source or "none (labels only)"),
        ("attribution method", method.attribution_method or "–"),
        ("k (rationale words)", method.k if method.k is not None else "–"),
        ("α (label-task weight)", method.alpha if method.alpha is not None else "–"),
    ]
    return "## Method\n\n" + _table(("setting", "value"), rows)


def _results(m: ModelManifest) -> str:
    acc = m.accuracy
    low, high = wilson_interval(acc.test, acc.n_test) if acc.test is not None else (None, None)
    rows = [
        ("validation accuracy (selected checkpoint)", _pct(acc.valid)),
        ("test accuracy", _pct(acc.test)),
        ("95 % interval (Wilson)", f"[{_pct(low)}, {_pct(high)}]"),
        ("test examples", acc.n_test),
        ("seed", m.seed),
    ]
    return "## Results\n\n" + _table(("metric", "value"), rows)


def _task(m: ModelManifest) -> str:
    sizes = ", ".join(f"{split} {n:,}" for split, n in m.splits.items())
    labels = f"\n\nLabel set: {', '.join(m.label_set)}." if m.label_set else ""
    notes = "\n\n" + "\n".join(f"- {note}" for note in m.task_notes) if m.task_notes else ""
    return f"## Task and splits\n\n`{m.task.name}`: {sizes}.{labels}{notes}"


def _usage(m: ModelManifest) -> str:
    prompt = prompt_format(m).replace("\n", "\\n")
    answer = "greedy generation" if m.evaluation.mode == "generate" else "rank classification over the labels"
    auto = "AutoModelForCausalLM" if m.architecture == "causal" else "AutoModelForSeq2SeqLM"
    return (
        "## How to use\n\n"
        f"Prompt format (`{{input}}` is the task-formatted example): `{prompt}`. Evaluated by "
        f"{answer}; prompts are cut at {m.adapter.max_prompt_tokens} tokens and answers at "
        f"{m.adapter.max_target_tokens}. `tokendistill.json` holds these settings, so tokendistill "
        "uses the model exactly as it was evaluated:\n\n"
        "```bash\ntokendistill predict MODEL_DIR --input rows.jsonl   # or --split test\n"
        "tokendistill explain MODEL_DIR --input rows.jsonl --method saliency\n```\n\n"
        f"Plain transformers loads it as it is:\n\n```python\nfrom transformers import {auto}, "
        f'AutoTokenizer\n\nmodel = {auto}.from_pretrained("MODEL_DIR")\n'
        'tokenizer = AutoTokenizer.from_pretrained("MODEL_DIR")\n```'
    )


def _config(m: ModelManifest) -> str:
    text = yaml.safe_dump(m.config, sort_keys=False, allow_unicode=True)
    return f"## Config that produced it\n\n```yaml\n{text}```\n"


def _table(headers: tuple[str, str], rows: list[tuple[str, object]]) -> str:
    lines = [f"| {headers[0]} | {headers[1]} |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "–" if value is None or value != value else f"{100 * value:.1f} %"
