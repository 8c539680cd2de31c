"""An instruct model used as it is: the packaged SmolLM2-135M-Instruct in its chat template,
``finetune: false``, attributes real e-SNLI rows end to end (slow: the real model).

Run with ``pytest -m slow tests/pipeline/test_instruct_teacher_slow.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tokendistill.attribution.store import read_attributions
from tokendistill.config import Config
from tokendistill.config_io import validate_config
from tokendistill.pipeline import run_pipeline
from tokendistill.tasks.config import default_data_dir

from .helpers import small_config

pytestmark = pytest.mark.slow

TEMPLATE_TOKENS = ("<|im_start|>", "<|im_end|>")


def test_an_instruct_teacher_in_its_chat_template_attributes_real_rows(tmp_path: Path) -> None:
    if not (default_data_dir() / "esnli").is_dir():
        pytest.skip(f"no esnli data in {default_data_dir()}")
    data = small_config(tmp_path / "run")
    data["task"] = {"name": "esnli", "max_examples": 12}
    data["teacher"] = {
        "model": {
            "name": "smollm2-135m",
            "prompt_format": "chat",
            "system_prompt": "Answer with one word: entailment, neutral or contradiction.",
            "max_target_tokens": 8,
        },
        "finetune": False,
        "training": {"eval_mode": "rank", "max_new_tokens": 8, "eval_batch_size": 8},
    }
    data["attribution"] = {"methods": ["saliency"], "batch_size": "auto"}
    run_pipeline(validate_config(data, Config), until="attribute")
    (artifact,) = (tmp_path / "run" / "attribute").glob("saliency-train-*/attributions.parquet")
    records, _ = read_attributions(artifact)
    assert len(records) == 12
    for record in records:
        assert record.finite and record.teacher_answer
        # Every attributed token is the example's own text; the template's never appear.
        assert record.tokens and not set(record.tokens) & set(TEMPLATE_TOKENS)
        assert all(0 <= start < end <= len(record.text) for start, end in record.offsets)
        assert any(record.content) and max(record.scores) > 0
