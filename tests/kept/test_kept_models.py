"""After the demo, every student (and the teacher) is a plain Hugging Face folder that
transformers loads, that answers its recorded test examples again, and no pickle is left."""

from __future__ import annotations

import json
import pickletools
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch
from huggingface_hub import ModelCard
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from demo_models import student_entry
from tokendistill.evaluation.predict import predict_answers
from tokendistill.kept.card import prompt_format
from tokendistill.kept.manifest import read_manifest
from tokendistill.models.adapter import make_adapter
from tokendistill.runtime.files import read_jsonl
from tokendistill.stats import wilson_interval
from tokendistill.tasks import load_task
from tokendistill.training.modes import label_prompts

PICKLE_SUFFIXES = {".bin", ".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib"}
N_CHECKED = 20


def _load_plain(folder: Path):
    """Model and tokenizer with nothing but transformers' Auto classes."""
    auto = (
        AutoModelForSeq2SeqLM
        if AutoConfig.from_pretrained(folder).is_encoder_decoder
        else AutoModelForCausalLM
    )
    return auto.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def test_index_lists_every_student_and_seed_with_a_model(demo_run: Path, demo_index: dict[str, Any]) -> None:
    metrics = json.loads((demo_run / "metrics.json").read_text())
    assert demo_index["keep_models"] == "all"
    assert [(e["name"], e["seed"]) for e in demo_index["students"]] == [
        (s["name"], seed) for s in metrics["students"] for seed in s["seeds"]
    ]
    assert all((demo_run / e["model"] / "model.safetensors").is_file() for e in demo_index["students"])
    assert (demo_run / demo_index["teacher"] / "model.safetensors").is_file()


def test_every_student_reproduces_its_recorded_test_predictions(
    demo_run: Path, demo_index: dict[str, Any]
) -> None:
    for entry in demo_index["students"]:
        folder = demo_run / entry["model"]
        model, tokenizer = _load_plain(folder)
        manifest = read_manifest(folder)
        _, data = load_task(manifest.task)
        examples = data.test[:N_CHECKED]
        adapter = make_adapter(model, tokenizer, manifest.adapter)
        answers = predict_answers(
            adapter,
            examples,
            label_prompts(examples, manifest.mode),
            tuple(manifest.label_set),
            mode=manifest.evaluation.mode,
            batch_size=manifest.evaluation.batch_size,
            max_new_tokens=manifest.evaluation.max_new_tokens,
        )
        recorded = read_jsonl(folder.parent / "test_predictions.jsonl")[:N_CHECKED]
        assert [r["id"] for r in recorded] == [ex.id for ex in examples]
        assert answers == [r["prediction"] for r in recorded], entry["name"]


def test_the_cards_prompt_format_is_what_the_model_needs(demo_run: Path, demo_index: dict[str, Any]) -> None:
    """Rank classification by hand, one unpadded example at a time, from the card's prompt
    format: the recorded answers come back."""
    folder = demo_run / student_entry(demo_index, "ours-saliency")["model"]
    model, tokenizer = _load_plain(folder)
    manifest = read_manifest(folder)
    _, data = load_task(manifest.task)
    before, after = prompt_format(manifest).split("{input}")
    recorded = read_jsonl(folder.parent / "test_predictions.jsonl")
    for example, row in zip(data.test[:5], recorded, strict=False):
        prompt = (
            tokenizer(before + example.text)["input_ids"]
            + tokenizer(after, add_special_tokens=False)["input_ids"]
        )
        scores = {}
        for label in manifest.label_set:
            target = tokenizer(" " + label, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            with torch.no_grad():
                logits = model(torch.tensor([prompt + target])).logits[0, len(prompt) - 1 : -1]
            scores[label] = logits.log_softmax(-1).gather(1, torch.tensor(target)[:, None]).sum().item()
        assert max(scores, key=scores.get) == row["prediction"]


def test_cards_name_the_method_and_the_recorded_accuracy(demo_run: Path, demo_index: dict[str, Any]) -> None:
    entry = student_entry(demo_index, "ours-saliency")
    folder = demo_run / entry["model"]
    card = ModelCard.load(folder / "README.md")
    manifest = read_manifest(folder)
    metrics = json.loads((folder.parent / "metrics.json").read_text())
    accuracy, n = metrics["test"]["accuracy"], int(metrics["test"]["n"])
    low, high = wilson_interval(accuracy, n)
    assert card.data.eval_results[0].metric_value == accuracy
    text = card.text
    assert "| attribution method | saliency |" in text
    assert f"| k (rationale words) | {manifest.method.k} |" in text
    assert f"| α (label-task weight) | {manifest.method.alpha} |" in text
    assert f"| test accuracy | {100 * accuracy:.1f} % |" in text
    assert f"[{100 * low:.1f} %, {100 * high:.1f} %]" in text
    assert "predict: {input}\\nAnswer:" in text
    assert manifest.method.k is not None and manifest.method.alpha is not None


def test_the_teacher_keeps_its_model_with_a_card(demo_run: Path, demo_index: dict[str, Any]) -> None:
    folder = demo_run / demo_index["teacher"]
    manifest = read_manifest(folder)
    assert manifest.role == "teacher" and manifest.mode == "standard"
    card = ModelCard.load(folder / "README.md")
    assert "teacher" in card.data.tags
    assert json.loads((folder / "training_args.json").read_text())["seed"] == manifest.seed


@pytest.mark.parametrize("kind", ["suffix", "content"])
def test_no_pickle_anywhere_under_the_finished_run(demo_run: Path, kind: str) -> None:
    files = [p for p in demo_run.rglob("*") if p.is_file()]
    assert files
    if kind == "suffix":
        assert [p for p in files if p.suffix in PICKLE_SUFFIXES] == []
        assert not list(demo_run.rglob("*.work")), "resumable state left behind"
    else:
        # torch.save writes a zip holding data.pkl; a bare pickle parses as pickle opcodes.
        assert [p for p in files if _is_pickle(p.read_bytes())] == []
        zipped = [p for p in files if zipfile.is_zipfile(p)]
        assert [p for p in zipped if any(n.endswith(".pkl") for n in zipfile.ZipFile(p).namelist())] == []


def _is_pickle(data: bytes) -> bool:
    """Whether ``data`` is a pickle of protocol 2 or later (PROTO opcode, then valid opcodes)."""
    if len(data) < 2 or data[0] != 0x80 or not 2 <= data[1] <= 5:
        return False
    try:
        for _ in pickletools.genops(data):
            pass
    except Exception:
        return False
    return True


def test_the_pickle_check_finds_a_pickle() -> None:
    import pickle

    assert _is_pickle(pickle.dumps({"a": [1, 2]}, protocol=4))
    assert not _is_pickle(b'{"a": 1}')
