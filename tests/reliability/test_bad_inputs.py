"""The bad-input corpus: every case is one thing a user can get wrong (a config value, a data
file, a command-line argument, a path), run through the command line in process.

Each must end with exactly one line on stderr, ``error: <the expected line>`` (naming the
file, line and key or field), exit status 2 and no traceback, before any stage runs or any
model is loaded (both are booby-trapped below), and without writing anything anywhere: the
whole temporary folder, run directory included, is byte for byte what it was before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

import tokendistill.models.build
import tokendistill.models.loading
import tokendistill.pipeline
import tokendistill.stages.students
import tokendistill.stages.teacher
from tokendistill.tracking.config import CHOICES, installed, integrations

from .helpers import DELETE, Case, invoke, jsonl, rows, snapshot, write_artifact

PLAIN_TASK = (
    "must be a plain name of at most 64 letters, digits, '_', '.' or '-', starting with a letter or digit: "
    "it names folders of the run directory"
)
STUDENT_NAME = "String should match pattern '^[A-Za-z0-9_@=+-][A-Za-z0-9_.@=+-]{{0,99}}$'"
LONG_INPUT = jsonl([*rows(19), {"id": "long", "question": "word " * 3000, "answer": "odd"}])
CSV = {"task.custom.train_file": "train.csv"}
GENERATE = {"teacher.training.eval_mode": "generate", "student_training.eval_mode": "generate"}
# The Trainer's trackers, as the installed transformers lists them; one that is not installed here.
TRACKERS = ", ".join([*CHOICES, *integrations()])
ABSENT_TRACKER = next(n for n in integrations() if n not in (*installed(), "flyte", "azure_ml"))
TOO_BIG = "words, but no training input has that many content words (the most is 13): every rationale would be the whole input"  # noqa: E501


def _other_parquet(tmp: Path) -> None:
    pq.write_table(pa.table({"a": [1]}), tmp / "other.parquet")


def _artifact(tmp: Path) -> None:
    write_artifact(tmp / "a.parquet")


def _a_file(tmp: Path) -> None:
    (tmp / "afile").write_text("x")


def _empty_model_folder(tmp: Path) -> None:
    (tmp / "model").mkdir()


def _four_block_model(tmp: Path) -> None:
    (tmp / "model").mkdir()
    (tmp / "model" / "config.json").write_text(json.dumps({"model_type": "llama", "num_hidden_layers": 4}))


def _config_bytes(content: bytes):
    def write(tmp: Path) -> None:
        (tmp / "config.yaml").write_bytes(content)

    return write


def _no_config(tmp: Path) -> None:
    (tmp / "config.yaml").unlink()


CONFIG_CASES = [
    Case(
        "yaml-duplicate-top-level-key",
        lambda w: (
            f"{w.config}, line {len(w.text.splitlines())}: duplicate key 'seeds' (first given at line "
            f"{w.first_line('seeds:')})"
        ),
        text=lambda t: t + "seeds: [1]\n",
    ),
    Case(
        "yaml-duplicate-nested-key",
        lambda w: (
            f"{w.config}, line {w.first_line('  k: 3')}: duplicate key 'k' (first given at line "
            f"{w.first_line('  k: 2')})"
        ),
        text=lambda t: t.replace("selection:\n  k: 2\n", "selection:\n  k: 2\n  k: 3\n"),
    ),
    Case(
        "yaml-syntax",
        lambda w: (
            f"{w.config}, line {len(w.text.splitlines()) + 1}: not valid YAML: while parsing a flow node "
            "expected the node content, but found '<stream end>'"
        ),
        text=lambda t: t + "students: [\n",
    ),
    Case(
        "yaml-python-tag",
        lambda w: (
            f"{w.config}, line {len(w.text.splitlines())}: not valid YAML: could not determine a "
            "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"
        ),
        text=lambda t: t + "title: !!python/object/apply:os.system ['echo pwned']\n",
    ),
    Case(
        "yaml-top-level-list", "{config}: the top level must be a mapping of sections", text=lambda t: "- a\n"
    ),
    Case(
        "yaml-not-utf8",
        "{config}: not UTF-8 text (invalid start byte at byte 9)",
        setup=_config_bytes(b"run_dir: \xff\n"),
    ),
    Case("config-missing", "{config}: config file not found", setup=_no_config),
    Case(
        "unknown-key",
        "invalid config: {config}, line {line[seed]}: seed: unknown key (check the spelling; see "
        "`tokendistill validate --help`)",
        set={"seed": 3},
    ),
    Case(
        "tracker-unknown",
        "invalid config: {config}, line {line[tracking.report_to]}: tracking.report_to: unknown tracker "
        f"'tensorbord'; the Trainer knows {TRACKERS}",
        set={"tracking.report_to": "tensorbord"},
    ),
    Case(
        "tracker-choice-not-alone",
        "invalid config: {config}, line {line[tracking.report_to]}: tracking.report_to: auto / all / none "
        "stand alone in report_to, got ['none', 'tensorboard']",
        set={"tracking.report_to": ["none", "tensorboard"]},
    ),
    Case(
        "tracker-not-installed",
        "invalid config: {config}, line {line[tracking.report_to]}: tracking.report_to: tracker "
        f"'{ABSENT_TRACKER}' is not installed here (installed trackers: {', '.join(installed()) or 'none'})",
        set={"tracking.report_to": [ABSENT_TRACKER]},
    ),
    Case(
        "task-name-traversal",
        f"invalid config: {{config}}, line {{line[task.name]}}: task.name: task name '../../../somewhere' "
        f"{PLAIN_TASK}",
        set={"task.name": "../../../somewhere"},
    ),
    Case(
        "task-name-traversal-validate",
        f"invalid config: {{config}}, line {{line[task.name]}}: task.name: task name '../../x' {PLAIN_TASK}",
        set={"task.name": "../../x"},
        command="validate",
    ),
    Case(
        "task-name-absolute",
        f"invalid config: {{config}}, line {{line[task.name]}}: task.name: task name '/tmp/somewhere' "
        f"{PLAIN_TASK}",
        set={"task.name": "/tmp/somewhere"},
        command="validate",
    ),
    Case(
        "task-name-hidden",
        f"invalid config: {{config}}, line {{line[task.name]}}: task.name: task name '.mine' {PLAIN_TASK}",
        set={"task.name": ".mine"},
    ),
    Case(
        "student-name-slash",
        f"invalid config: {{config}}, line {{line[students.0.name]}}: students.0.name: {STUDENT_NAME}",
        set={"students.0.name": "a/b"},
    ),
    Case(
        "student-name-dot-dot",
        f"invalid config: {{config}}, line {{line[students.0.name]}}: students.0.name: {STUDENT_NAME}",
        set={"students.0.name": ".."},
    ),
    Case(
        "student-names-collide-through-sweep",
        "invalid config: {config}, line {line[students]}: students: student names must be unique (sweep_k "
        "adds "
        "@k=<k> to a name), got ['ours@k=1', 'ours@k=1', 'ours@k=2']",
        set={"students.0.name": "ours@k=1", "students.1.sweep_k": [1, 2]},
    ),
    Case(
        "no-students",
        "invalid config: {config}, line {line[students]}: students: List should have at least 1 item after "
        "validation, not 0",
        set={"students": []},
    ),
    Case(
        "k-sweep-zero",
        "invalid config: {config}, line {line[analysis.k_sweep.0]}: analysis.k_sweep.0: Input should be "
        "greater "
        "than or equal to 1",
        set={"analysis.k_sweep": [0]},
    ),
    Case(
        "k-sweep-above-max",
        "invalid config: {config}, line {line[analysis.k_sweep.1]}: analysis.k_sweep.1: Input should be less "
        "than or equal to 64",
        set={"analysis.k_sweep": [1, 65]},
    ),
    Case(
        "k-sweep-empty",
        "invalid config: {config}, line {line[analysis.k_sweep]}: analysis.k_sweep: List should have at "
        "least 1 "
        "item after validation, not 0",
        set={"analysis.k_sweep": []},
    ),
    Case(
        "k-sweep-repeated",
        "invalid config: {config}, line {line[analysis.k_sweep]}: analysis.k_sweep: k_sweep lists a value "
        "twice: [2, 2]",
        set={"analysis.k_sweep": [2, 2]},
    ),
    Case(
        "student-sweep-zero",
        "invalid config: {config}, line {line[students.1.sweep_k.0]}: students.1.sweep_k.0: Input should be "
        "greater than or equal to 1",
        set={"students.1.sweep_k": [0, 2]},
    ),
    Case(
        "student-sweep-repeated",
        "invalid config: {config}, line {line[students.1]}: students.1: sweep_k lists a value twice: [2, 2]",
        set={"students.1.sweep_k": [2, 2]},
    ),
    Case(
        "selection-k-zero",
        "invalid config: {config}, line {line[selection.k]}: selection.k: Input should be greater than or "
        "equal to 1",
        set={"selection.k": 0},
    ),
    Case(
        "seeds-repeated",
        "invalid config: {config}, line {line[seeds]}: seeds: seeds lists a seed twice: [0, 0] (each seed "
        "trains every student once)",
        set={"seeds": [0, 0]},
    ),
    Case(
        "seeds-empty",
        "invalid config: {config}, line {line[seeds]}: seeds: List should have at least 1 item after "
        "validation, not 0",
        set={"seeds": []},
    ),
    Case(
        "unknown-attribution-method",
        "invalid config: {config}, line {line[attribution.methods]}: attribution.methods: unknown "
        "attribution "
        "method(s) ['shap']; allowed: ['saliency', 'input_x_gradient', 'integrated_gradients', 'attention', "
        "'leave_one_out', 'random']",
        set={"attribution.methods": ["shap"]},
    ),
    Case(
        "student-method-not-computed",
        "invalid config: {config}, line {line[students.1.rationale.method]}: students.1.rationale.method: "
        "student 'ours' uses method 'saliency', which is not in attribution.methods ['random']",
        set={"attribution.methods": ["random"]},
    ),
    Case(
        "max-prompt-tokens-too-small",
        "invalid config: {config}, line {line[student_model.max_prompt_tokens]}: "
        "student_model.max_prompt_tokens: "
        "Input should be greater than or equal to 8",
        set={"student_model.max_prompt_tokens": 4},
    ),
    Case(
        "truncation-unknown",
        "invalid config: {config}, line {line[teacher.model.truncation]}: teacher.model.truncation: Input "
        "should be 'error', 'left', 'right' or 'middle'",
        set={"teacher.model.truncation": "both"},
    ),
    Case(
        "epochs-zero",
        "invalid config: {config}, line {line[teacher.training.epochs]}: teacher.training.epochs: Input "
        "should "
        "be greater than 0",
        set={"teacher.training.epochs": 0},
    ),
    Case(
        "valid-fraction-one",
        "invalid config: {config}, line {line[task.valid_fraction]}: task.valid_fraction: Input should be "
        "less "
        "than 1",
        set={"task.valid_fraction": 1.0},
    ),
    Case(
        "template-unclosed",
        "invalid config: {config}, line {line[task.custom.input_template]}: task.custom.input_template: "
        "input_template 'Question: {{question' is malformed: expected '}}' before end of string (literal "
        "braces "
        "are {{{{ }}}})",
        set={"task.custom.input_template": "Question: {question"},
    ),
    Case(
        "choice-metric-without-choices",
        "invalid config: {config}, line {line[task.custom]}: task.custom: metric 'choice' needs "
        "choices_field or "
        "label_set (the letters index them)",
        set={"task.custom.metric": "choice", "task.custom.label_set": DELETE, **GENERATE},
    ),
]

MODEL_CASES = [
    Case(
        "tiny-model-layer-cut",
        "invalid config: {config}, line {line[student_model.name]}: student_model.name: "
        "'tiny-causal:layers=2': "
        "tiny models are built with tiny_layers blocks; a ':layers=' cut does not apply.",
        set={"student_model.name": "tiny-causal:layers=2"},
    ),
    Case(
        "layer-cut-not-a-number",
        "invalid config: {config}, line {line[student_model.name]}: student_model.name: bad layer cut "
        "':layers=x' in model spec 'smollm2-135m:layers=x'; use ':layers=N' or ':layers=first:N' with N a "
        "positive whole number.",
        set={"student_model.name": "smollm2-135m:layers=x"},
    ),
    Case(
        "layer-cut-deeper-than-packaged",
        "invalid config: {config}, line {line[student_model.name]}: student_model.name: "
        "'smollm2-135m:layers=999': smollm2-135m has only 30 blocks per stack, so ':layers=' can keep at "
        "most 30.",
        set={"student_model.name": "smollm2-135m:layers=999"},
        command="validate",
    ),
    Case(
        "layer-cut-deeper-than-encoder-decoder",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: "
        "'minilm-encdec:layers=7': "
        "minilm-encdec has only 6 blocks per stack, so ':layers=' can keep at most 6.",
        set={"teacher.model.name": "minilm-encdec:layers=7"},
    ),
    Case(
        "layer-cut-deeper-than-folder",
        "invalid config: {config}, line {line[student_model.name]}: student_model.name: "
        "'{tmp}/model:layers=9': "
        "{tmp}/model has only 4 blocks per stack, so ':layers=' can keep at most 4.",
        set={"student_model.name": "{tmp}/model:layers=9"},
        setup=_four_block_model,
    ),
    Case(
        "unknown-model-name",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: unknown model "
        "'gpt2': not "
        "a tiny model (tiny-causal, tiny-seq2seq), a packaged short name (minilm-encdec, smollm2-135m), a "
        "local "
        "folder, or a Hugging Face Hub name (owner/name).",
        set={"teacher.model.name": "gpt2"},
    ),
    Case(
        "model-folder-missing",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: there is no folder "
        "'./no/such/folder'; check the path.",
        set={"teacher.model.name": "./no/such/folder"},
    ),
    Case(
        "model-folder-not-a-model",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: the folder "
        "'{tmp}/model' "
        "has no config.json, so it is not a saved transformers model.",
        set={"teacher.model.name": "{tmp}/model"},
        setup=_empty_model_folder,
    ),
    Case(
        "hub-name-malformed",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: 'owner/na me' is "
        "neither "
        "an existing folder nor a valid Hugging Face Hub name (owner/name).",
        set={"teacher.model.name": "owner/na me"},
    ),
    Case(
        "hub-model-offline-not-cached",
        "invalid config: {config}, line {line[teacher.model.name]}: teacher.model.name: could not reach the "
        "Hugging Face Hub to download someone/not-cached-model; check the network or pass a local folder.",
        set={"teacher.model.name": "someone/not-cached-model"},
    ),
    Case(
        "rank-without-candidates",
        "invalid config: {config}, line {line[teacher.training.eval_mode]}: teacher.training.eval_mode: "
        "'rank' "
        "picks among candidate answers, but example 'r6' of task 'mine' has none (no choices, no label set); "
        "use 'generate'",
        set={"task.custom.label_set": DELETE},
    ),
    Case(
        "student-rank-without-candidates",
        "invalid config: {config}, line {line[student_training.eval_mode]}: student_training.eval_mode: "
        "'rank' "
        "picks among candidate answers, but example 'r6' of task 'mine' has none (no choices, no label set); "
        "use 'generate'",
        set={"task.custom.label_set": DELETE, "teacher.training.eval_mode": "generate"},
    ),
    Case(
        "contrastive-without-choices",
        "invalid config: {config}, line {line[attribution.contrastive]}: attribution.contrastive: "
        "contrastive attribution needs answer choices to contrast with, but training example 'r6' of task "
        "'mine' has 0 "
        "(give the task a choices field or a label set, or set it to false)",
        set={"task.custom.label_set": DELETE, "attribution.contrastive": True, **GENERATE},
    ),
    Case(
        "contrastive-per-step",
        "invalid config: {config}, line {line[attribution.contrastive]}: attribution.contrastive: "
        "contrastive attribution differentiates a sequence-level margin: set aggregation: sequence",
        set={"attribution.aggregation": "per_step", "attribution.contrastive": True},
    ),
    Case(
        "soft-labels-across-vocabularies",
        "invalid config: {config}, line {line[students.0.soft_labels.over]}: students.0.soft_labels.over: "
        "soft labels over 'vocabulary' compare next-token distributions, but the teacher's tokenizer "
        "(tiny-causal: TokenizersBackend, 184 tokens) and the student's (tiny-causal: TokenizersBackend, 140 "
        "tokens) have different vocabularies; use over: choices (the task's answer choices need no shared "
        "vocabulary), match: aligned or sorted",
        set={
            "student_model.tiny_vocab": 100,
            "students": [{"name": "kd", "mode": "kd", "soft_labels": {"over": "vocabulary"}}],
        },
    ),
    Case(
        "soft-labels-over-choices-without-choices",
        "invalid config: {config}, line {line[students.0.soft_labels.over]}: students.0.soft_labels.over: "
        "soft labels over 'choices' compare distributions over the answer choices, but training example 'r6' "
        "has none; use over: vocabulary, or a task with choices",
        set={
            "task.custom.label_set": DELETE,
            **GENERATE,
            "students": [{"name": "kd", "mode": "kd", "soft_labels": {"over": "choices"}}],
        },
    ),
    Case(
        "soft-labels-for-a-mode-without-them",
        "invalid config: {config}, line {line[students.0]}: students.0: `soft_labels` does not apply to mode "
        "'standard'; modes that take it: ['kd', 'kd-multitask', 'guided-gradient', 'guided-matching', "
        "'guided-consistency']",
        set={"students": [{"name": "s", "mode": "standard", "soft_labels": {"weight": 0.5}}]},
    ),
    Case(
        "generate-source-unknown-option",
        "invalid config: {config}, line {line[students.1.rationale.temperature]}: "
        "students.1.rationale.temperature: unknown key (check the spelling; see `tokendistill validate "
        "--help`)",
        set={"students.1.rationale": {"source": "generate", "model": "tiny-causal", "temperature": 0.7}},
    ),
    Case(
        "input-too-long-under-error-policy",
        "invalid config: {config}, line {line[teacher.model.truncation]}: teacher.model.truncation: 1 of 26 "
        "inputs have more tokens than teacher.model.max_prompt_tokens (512); the longest, example 'long', "
        "has "
        "12,004; raise max_prompt_tokens or choose left, right or middle",
        set={"teacher.model.truncation": "error"},
        files={"train.jsonl": LONG_INPUT},
    ),
    Case(
        "k-larger-than-every-input",
        f"invalid config: {{config}}, line {{line[selection.k]}}: selection.k: k = 40 {TOO_BIG}",
        set={"selection.k": 40},
    ),
    Case(
        "student-k-larger-than-every-input",
        "invalid config: {config}, line {line[students.1.rationale.k]}: students.1.rationale.k: k = 40 "
        + TOO_BIG,
        set={"students.1.rationale.k": 40},
    ),
    Case(
        "llm-rationales-the-task-lacks",
        "invalid config: {config}, line {line[students.1.rationale.source]}: students.1.rationale.source: no "
        "example has an LLM rationale: set task.llm_rationales: true (DSS tasks only)",
        set={"students.1.rationale": {"source": "llm"}},
    ),
    Case(
        "llm-rationales-without-field",
        "invalid config: {config}, line {line[task]}: task: llm_rationales needs custom.rationale_field: the "
        "column holding the LLM rationale",
        set={"task.llm_rationales": True},
    ),
    Case(
        "attribution-option-unknown",
        "invalid config: {config}, line {line[attribution.options]}: attribution.options: attribution method "
        "'saliency' has no option(s) ['bogus']; its options: ['norm']",
        set={"attribution.options": {"saliency": {"bogus": 1}}},
    ),
    Case(
        "lora-targets-no-module-of-the-teacher",
        "invalid config: {config}, line {line[teacher.model.peft]}: teacher.model.peft: Target modules "
        "{{'nope'}} not found in the base model. Please check the target modules and try again.",
        set={"teacher.model.peft": {"r": 4, "alpha": 8, "target_modules": ["nope"]}},
    ),
    Case(
        "lora-targets-no-module-of-the-student",
        "invalid config: {config}, line {line[student_model.peft]}: student_model.peft: Target modules "
        "{{'wq'}} not found in the base model. Please check the target modules and try again.",
        set={"student_model.peft": {"r": 4, "alpha": 8, "target_modules": ["wq"]}},
    ),
    Case(
        "soft-labels-vocabulary-with-tiny-vocabularies-apart",
        "invalid config: {config}, line {line[students.0.soft_labels.over]}: students.0.soft_labels.over: "
        "soft labels over 'vocabulary' compare next-token distributions, but the teacher's tokenizer "
        "(tiny-causal: TokenizersBackend, 184 tokens) and the student's (tiny-causal: TokenizersBackend, "
        "140 tokens) have different vocabularies; use over: choices (the task's answer choices need no "
        "shared vocabulary), match: aligned or sorted",
        set={
            "students.0": {
                "name": "kd",
                "mode": "kd-multitask",
                "soft_labels": {"over": "vocabulary"},
                "rationale": {"source": "attribution", "method": "saliency"},
            },
            "student_model.tiny_vocab": 100,
        },
    ),
]
if not torch.cuda.is_available():
    MODEL_CASES.append(
        Case(
            "fp16-without-cuda",
            "invalid config: {config}, line {line[teacher.model.precision]}: teacher.model.precision: "
            "precision: fp16 for 'tiny-causal' needs a CUDA GPU (there is no fp16 mixed precision on this "
            "machine); use bf16 or fp32.",
            set={"teacher.model.precision": "fp16"},
        )
    )

OVERRIDE_CASES = [
    Case(
        "set-without-value",
        "--set 'selection.k': expected key=value, e.g. selection.k=7",
        args=("--set", "selection.k"),
    ),
    Case(
        "set-value-not-yaml",
        "--set seeds, line 1: not valid YAML: while parsing a flow node expected the node content, but found "
        "'<stream end>'",
        args=("--set", "seeds=[0,"),
    ),
    Case(
        "set-value-duplicate-key",
        "--set selection, line 1: duplicate key 'k' (first given at line 1)",
        args=("--set", "selection={{k: 1, k: 2}}"),
    ),
    Case(
        "set-missing-item",
        "--set students.9.mode: students has 2 item(s), no item '9'",
        args=("--set", "students.9.mode=x"),
    ),
    Case(
        "set-into-a-value", "--set run_dir.sub: 'run_dir' is not a section", args=("--set", "run_dir.sub=1")
    ),
    Case("set-empty-key", "--set '=3': '' is not a key path like selection.k", args=("--set", "=3")),
    Case(
        "set-bad-value",
        "invalid config: {config}, from --set: selection.unit: Input should be 'token' or 'word'",
        args=("--set", "selection.unit=sentence"),
    ),
]

DATA_CASES = [
    Case(
        "csv-unquoted-comma",
        "{data}/train.csv, line 3: 4 fields, but the header has 3 (id, question, answer); quote a field that "
        "contains a comma",
        set=CSV,
        # The audit's row: unquoted, its label used to be read as ' like a ball'.
        files={"train.csv": "id,question,answer\nr0,2 + 2,even\nr1,What is red and round, like a ball,odd\n"},
    ),
    Case(
        "csv-missing-field",
        "{data}/train.csv, line 2: 2 fields, but the header has 3 (id, question, answer); quote a field that "
        "contains a comma",
        set=CSV,
        files={"train.csv": "id,question,answer\nr0,what is two plus two\n"},
    ),
    Case(
        "csv-bad-quote",
        "{data}/train.csv, line 2: malformed CSV (',' expected after '\"')",
        set=CSV,
        files={"train.csv": 'id,question,answer\nr0,"what is "two" plus,even\n'},
    ),
    Case(
        "csv-repeated-column",
        "{data}/train.csv, line 1: the header row needs distinct, non-empty column names, got ['id', "
        "'question', "
        "'question']",
        set=CSV,
        files={"train.csv": "id,question,question\nr0,a,b\n"},
    ),
    Case(
        "csv-empty",
        "{data}/train.csv, line 1: empty CSV file: no header row",
        set=CSV,
        files={"train.csv": ""},
    ),
    Case(
        "csv-header-only",
        "{data}/train.csv: the file has no rows",
        set=CSV,
        files={"train.csv": "id,question,answer\n"},
    ),
    Case(
        "jsonl-malformed-line",
        "{data}/train.jsonl, line 4: malformed JSON (Expecting value at column 1)",
        files={"train.jsonl": jsonl(rows(3)) + '{"id": "x", "question": \n'},
    ),
    Case(
        "jsonl-not-an-object",
        "{data}/train.jsonl, line 4: expected a JSON object, got list",
        files={"train.jsonl": jsonl(rows(3)) + '["a", "b"]\n'},
    ),
    Case(
        "jsonl-nan-label",
        "{data}/train.jsonl, line 4, field 'answer': missing field (present: ['answer', 'id', 'question'])",
        files={"train.jsonl": jsonl(rows(3)) + '{"id": "x", "question": "is it even", "answer": NaN}\n'},
    ),
    Case(
        "jsonl-null-input",
        "{data}/train.jsonl, line 4, field 'question': missing field (present: ['answer', 'id', 'question'])",
        files={"train.jsonl": jsonl(rows(3)) + '{"id": "x", "question": null, "answer": "odd"}\n'},
    ),
    Case(
        "whitespace-only-input",
        "{data}/train.jsonl, line 4, field 'question': empty input: every template field is empty",
        files={"train.jsonl": jsonl(rows(3)) + '{"id": "x", "question": " \\t ", "answer": "odd"}\n'},
    ),
    Case(
        "label-outside-label-set",
        "{data}/test.jsonl, line 3, field 'answer': label 'maybe' is outside the task's label set ['even', "
        "'odd']",
        files={"test.jsonl": jsonl(rows(2, 100)) + '{"id": "x", "question": "q w e", "answer": "maybe"}\n'},
    ),
    Case(
        "label-not-numeric-under-numeric-metric",
        "{data}/train.jsonl, line 1, field 'answer': label 'even' is not a number or arithmetic expression, "
        "which metric 'numeric' needs",
        set={"task.custom.metric": "numeric", "task.custom.label_set": DELETE, **GENERATE},
    ),
    Case(
        "label-nan-under-numeric-metric",
        "{data}/train.parquet, row 2, field 'answer': missing field (present: ['answer', 'id', 'question'])",
        set={
            "task.custom.metric": "numeric",
            "task.custom.label_set": DELETE,
            **GENERATE,
            **{"task.custom.train_file": "train.parquet"},
        },
        setup=lambda tmp: pq.write_table(
            pa.table(
                {
                    "id": ["a", "b"],
                    "question": ["one plus one", "two plus two"],
                    "answer": [2.0, float("nan")],
                }
            ),
            tmp / "data" / "train.parquet",
        ),
    ),
    Case(
        "label-map-lacks-a-label",
        "{data}/train.jsonl, line 2, field 'answer': label 'odd' is not a key of label_map ['even']",
        set={"task.custom.label_map": {"even": "even"}},
    ),
    Case(
        "duplicate-ids",
        "{data}/test.jsonl, line 3, field 'id': id 'r100' already used at {data}/test.jsonl line 1",
        files={"test.jsonl": jsonl(rows(2, 100)) + jsonl(rows(1, 100))},
    ),
    Case(
        "test-file-missing",
        "{data}/absent.jsonl: file not found",
        set={"task.custom.test_file": "absent.jsonl"},
    ),
    Case(
        "no-test-split",
        "invalid config: {config}, line {line[task]}: task: task 'mine' has no test examples; the stages "
        "need all "
        "three splits (give the split's file, or hold its rows out of train: task.valid_fraction, "
        "task.custom.test_fraction)",
        set={"task.custom.test_file": DELETE},
    ),
    Case(
        "no-valid-split",
        "invalid config: {config}, line {line[task]}: task: task 'mine' has no valid examples; the stages "
        "need all "
        "three splits (give the split's file, or hold its rows out of train: task.valid_fraction, "
        "task.custom.test_fraction)",
        set={"task.valid_fraction": 0.0},
    ),
    Case("train-file-empty", "{data}/train.jsonl: the file has no rows", files={"train.jsonl": ""}),
    Case(
        "train-too-small-to-hold-out",
        "{data}/train.jsonl: cannot hold out 0.1 of 1 rows: With n_samples=1, test_size=0.1 and "
        "train_size=None, "
        "the resulting train set will be empty. Adjust any of the aforementioned parameters; add rows or set "
        "task.valid_fraction",
        files={"train.jsonl": jsonl(rows(1))},
    ),
    Case(
        "parquet-that-is-not",
        "{data}/train.parquet: malformed Parquet (Could not open Parquet input source "
        "'{data}/train.parquet': "
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet "
        "file.)",
        set={"task.custom.train_file": "train.parquet"},
        files={"train.parquet": "not parquet"},
    ),
    Case(
        "data-not-utf8",
        "{data}/train.jsonl: not UTF-8 text (invalid start byte)",
        files={"train.jsonl": b'{"id": "x", "question": "\xff", "answer": "odd"}\n'},
    ),
    Case(
        "unknown-file-format",
        "{data}/train.txt: cannot infer the format from '.txt'; set custom.format",
        set={"task.custom.train_file": "train.txt"},
        files={"train.txt": "x"},
    ),
    Case(
        "builtin-task-data-missing",
        "{tmp}/nowhere: data folder not found (set task.data_dir or $TOKENDISTILL_DATA)",
        set={"task": {"name": "cqa", "data_dir": "{tmp}/nowhere"}},
    ),
    Case(
        "unknown-task",
        "invalid config: {config}, line {line[task.name]}: task.name: unknown task 'nope'; known: "
        "['anli1', 'cqa', 'esnli', 'svamp', 'synthetic'] (or describe a new dataset in a `custom` section)",
        set={"task": {"name": "nope"}},
    ),
]

PATH_CASES = [
    Case(
        "run-dir-under-a-file",
        "invalid config: {config}, line {line[run_dir]}: run_dir: {tmp}/afile/run cannot be made: "
        "{tmp}/afile is "
        "a file, not a folder",
        set={"run_dir": "{tmp}/afile/run"},
        setup=_a_file,
    ),
    Case(
        "run-dir-is-a-file",
        "invalid config: {config}, line {line[run_dir]}: run_dir: {tmp}/afile is a file, not a folder",
        set={"run_dir": "{tmp}/afile"},
        setup=_a_file,
        command="validate",
    ),
    Case(
        "run-dir-inside-the-data",
        "invalid config: {config}, line {line[run_dir]}: run_dir: {tmp}/data/run lies inside the data folder "
        "{tmp}/data; keep the run's outputs apart from its inputs",
        set={"run_dir": "{tmp}/data/run"},
    ),
    Case(
        "run-dir-is-the-data",
        "invalid config: {config}, line {line[run_dir]}: run_dir: {tmp}/data lies inside the data folder "
        "{tmp}/data; keep the run's outputs apart from its inputs",
        set={"run_dir": "{tmp}/data"},
    ),
]

COMMAND_CASES = [
    Case(
        "analyze-missing-file",
        "{tmp}/none.parquet: file not found",
        command="analyze",
        args=("{tmp}/none.parquet",),
    ),
    Case(
        "analyze-not-parquet",
        "{data}/train.jsonl: not an attribution Parquet file: Parquet magic bytes not found in footer. "
        "Either the "
        "file is corrupted or this is not a parquet file.",
        command="analyze",
        args=("{data}/train.jsonl",),
    ),
    Case(
        "analyze-other-parquet",
        "{tmp}/other.parquet: not an attribution Parquet file: {tmp}/other.parquet is not an attribution "
        "artifact "
        "(no tokendistill.attribution metadata)",
        command="analyze",
        args=("{tmp}/other.parquet",),
        setup=_other_parquet,
    ),
    Case(
        "analyze-k-above-max",
        "--k 100: Input should be less than or equal to 64",
        command="analyze",
        args=("{tmp}/a.parquet", "--k", "100"),
        setup=_artifact,
    ),
    Case(
        "analyze-set-without-config",
        "--set overrides keys of a config: give it with --config",
        command="analyze",
        args=("{tmp}/a.parquet", "--set", "selection.k=3"),
        setup=_artifact,
    ),
    Case(
        "analyze-config-with-bad-data",
        "{data}/test.jsonl: file not found",
        command="analyze",
        args=("{tmp}/a.parquet", "--config", "{config}"),
        setup=lambda tmp: (_artifact(tmp), (tmp / "data" / "test.jsonl").unlink()),
    ),
    Case(
        "show-task-unknown",
        "unknown task 'nope'; known: ['anli1', 'cqa', 'esnli', 'svamp', 'synthetic'] (or describe "
        "a "
        "new dataset in a `custom` section)",
        command="show-task",
        args=("nope",),
    ),
    Case(
        "show-task-without-data",
        "{tmp}/nowhere: data folder not found (set task.data_dir or $TOKENDISTILL_DATA)",
        command="show-task",
        args=("svamp", "--data-dir", "{tmp}/nowhere"),
    ),
    Case("validate-missing-config", "{config}: config file not found", command="validate", setup=_no_config),
    Case(
        "stage-command-bad-data",
        "{data}/train.jsonl: the file has no rows",
        command="prepare",
        files={"train.jsonl": ""},
    ),
]

CASES = CONFIG_CASES + MODEL_CASES + OVERRIDE_CASES + DATA_CASES + PATH_CASES + COMMAND_CASES


def _no_compute(*args, **kwargs):
    raise AssertionError("compute started before the input error was reported")


@pytest.fixture(autouse=True)
def booby_trapped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any stage, or any model load, fails the case: errors must come before both."""
    monkeypatch.setattr(tokendistill.pipeline, "run_prepare", _no_compute)
    for module in (tokendistill.models.build, tokendistill.stages.teacher, tokendistill.stages.students):
        monkeypatch.setattr(module, "load_adapter", _no_compute)
    monkeypatch.setattr(tokendistill.models.build, "load_model", _no_compute)
    monkeypatch.setattr(tokendistill.models.loading, "load_model", _no_compute)


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


def test_the_base_world_passes_every_check_and_reaches_the_first_stage(tmp_path: Path) -> None:
    """Every case's error comes from what the case breaks: unbroken, the same world is valid,
    and a run gets as far as the first stage (the booby trap)."""
    world, args = Case("base", "").build(tmp_path)
    code, stdout, stderr = invoke(["validate", str(world.config)])
    assert (code, stderr) == (0, "") and stdout.startswith("valid: task mine")
    code, _, stderr = invoke(args)
    assert code == 1 and "unexpected AssertionError: compute started" in stderr


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_fails_in_one_line_before_any_compute_writing_nothing(case: Case, tmp_path: Path) -> None:
    world, args = case.build(tmp_path)
    before = snapshot(tmp_path)
    code, stdout, stderr = invoke(args)
    assert stderr.splitlines() == [f"error: {case.expected(world)}"], stdout
    assert code == 2
    assert "Traceback" not in stdout + stderr
    assert snapshot(tmp_path) == before, "the failed command wrote or removed files"


RUN_CASES = [case for case in CASES if case.command == "run" and not case.args]


@pytest.mark.parametrize("case", RUN_CASES, ids=lambda case: case.id)
def test_validate_refuses_what_run_refuses_with_the_same_line(case: Case, tmp_path: Path) -> None:
    world, _ = case.build(tmp_path)
    code, _, stderr = invoke(["validate", str(world.config)])
    assert (code, stderr.splitlines()) == (2, [f"error: {case.expected(world)}"])


def test_packaged_models_of_other_vocabularies_are_refused_before_either_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokendistill.models.packaged import PackagedModel

    monkeypatch.setattr(PackagedModel, "built_folder", lambda self, root=None: None)
    students = [{"name": "kd", "mode": "kd", "soft_labels": {"over": "vocabulary"}}]
    sets = {"teacher.model": {"name": "smollm2-135m"}, "student_model": {"name": "minilm-encdec"}}
    world, _ = Case("packaged", "", set={**sets, "students": students}).build(tmp_path)
    code, _, stderr = invoke(["validate", str(world.config)])
    assert code == 2 and stderr.splitlines() == [
        f"error: invalid config: {world.config}, line {world.line('students.0.soft_labels.over')}: "
        "students.0.soft_labels.over: soft labels over 'vocabulary' compare next-token distributions, but "
        "the packaged models smollm2-135m (teacher) and minilm-encdec (student) have different "
        "vocabularies; use over: choices (the task's answer choices need no shared vocabulary), "
        "match: aligned or sorted"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_run_directory_that_cannot_be_written(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    world, args = Case("no-write", "", set={"run_dir": "{tmp}/locked/run"}).build(tmp_path)
    code, _, stderr = invoke(args)
    assert code == 2
    assert stderr == (
        f"error: invalid config: {world.config}, line {world.line('run_dir')}: run_dir: {locked} is not "
        f"writable, so {locked}/run cannot be written\n"
    )


def test_an_option_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    """Option types and ranges are checked by the command-line parser itself (click's usage
    message, exit status 2), before the command runs."""
    _artifact(tmp_path)
    code, stdout, stderr = invoke(["analyze", str(tmp_path / "a.parquet"), "--k", "0"])
    assert code == 2 and stdout == ""
    assert "Invalid value for '--k': Input should be greater than or equal to 1" in stderr
    assert "Traceback" not in stderr
