"""One attribution config: defaults defined once, validated once (by pydantic, with the
method's own constructor for its options), errors naming the key; and the attribution
package does not import the rationales package (no cycle between them)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

import tokendistill.config
from tokendistill.attribution import AttributionConfig, AttributionSettings, attribute
from tokendistill.attribution.methods.integrated import IntegratedGradients
from tokendistill.config import Config
from tokendistill.config_io import ConfigError, validate_config

from .helpers import corpus

BASE = {
    "run_dir": "runs/x",
    "task": {"name": "synthetic"},
    "teacher": {"model": {"name": "tiny-causal"}},
    "student_model": {"name": "tiny-causal"},
    "students": [{"name": "standard", "mode": "standard"}],
}
PACKAGE = Path(tokendistill.config.__file__).parent


def with_attribution(section: dict) -> dict:
    return {**BASE, "attribution": section}


def test_the_run_config_uses_the_one_class_and_its_defaults() -> None:
    assert Config.model_fields["attribution"].annotation is AttributionConfig
    assert issubclass(AttributionConfig, AttributionSettings)
    section = AttributionConfig()
    assert (section.methods, section.options, section.chunk_size) == (["saliency"], {}, 256)
    # The engine's slice: same values, same defaults, nothing of the pipeline's own fields.
    assert section.settings == AttributionSettings()
    assert type(section.settings) is AttributionSettings
    assert section.settings_dict() == {
        "target": "teacher",
        "attributed_fn": "logprob",
        "aggregation": "sequence",
        "batch_size": 16,
        "max_new_tokens": None,
        "contrastive": False,
    }


@pytest.mark.parametrize(
    ("section", "key", "says"),
    [
        ({"target": "student"}, "attribution.target", "'teacher' or 'gold'"),
        ({"attributed_fn": "prob"}, "attribution.attributed_fn", "'logprob', 'probability' or 'logit'"),
        ({"aggregation": "mean"}, "attribution.aggregation", "'sequence' or 'per_step'"),
        ({"batch_size": 0}, "attribution.batch_size", "greater than or equal to 1"),
        ({"max_new_tokens": 0}, "attribution.max_new_tokens", "greater than or equal to 1"),
        ({"chunk_size": 0}, "attribution.chunk_size", "greater than or equal to 1"),
        ({"chunk": 8}, "attribution.chunk", "unknown key"),
        ({"methods": []}, "attribution.methods", "at least 1 item"),
        ({"methods": ["saliency", "saliency"]}, "attribution.methods", "listed twice"),
        ({"methods": ["shap"]}, "attribution.methods", "unknown attribution method(s) ['shap']"),
        ({"options": {"random": {"seed": 1}}}, "attribution.options", "'random', which is not in methods"),
        (
            {"methods": ["integrated_gradients"], "options": {"integrated_gradients": {"nsteps": 8}}},
            "attribution.options",
            "has no option(s) ['nsteps']",
        ),
        (
            {"methods": ["saliency"], "options": {"saliency": {"norm": "max"}}},
            "attribution.options",
            "reduction must be one of",
        ),
    ],
)
def test_bad_values_fail_with_the_key_named(section: dict, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_config(with_attribution(section), Config)
    assert f"<config>: {key}: " in str(err.value)
    assert says in str(err.value)


def test_options_are_checked_once_by_their_method(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []
    original = IntegratedGradients.__init__

    @functools.wraps(original)
    def counting(self, **options) -> None:
        calls.append(options)
        original(self, **options)

    monkeypatch.setattr(IntegratedGradients, "__init__", counting)
    config = validate_config(
        with_attribution(
            {
                "methods": ["saliency", "integrated_gradients"],
                "options": {"integrated_gradients": {"n_steps": 4}},
            }
        ),
        Config,
    )
    assert calls == [{"n_steps": 4}]
    method = config.attribution.method("integrated_gradients")  # builds the configured instance
    assert isinstance(method, IntegratedGradients) and method.options()["n_steps"] == 4
    assert config.attribution.method("saliency").options() == {"norm": "l2"}
    with pytest.raises(ValueError, match="'random' is not in methods"):
        config.attribution.method("random")


def test_the_engine_takes_the_settings_slice(examples) -> None:
    from tokendistill.models.adapter import make_adapter
    from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal

    tokenizer = build_tiny_tokenizer(corpus())
    adapter = make_adapter(tiny_causal(tokenizer).eval(), tokenizer)
    section = AttributionConfig(methods=["random"], options={"random": {"seed": 3}}, target="gold")
    records = attribute(
        adapter,
        examples,
        section.method("random"),
        split="t",
        settings=section.settings,
        teacher_answers=["x"] * len(examples),
    )
    assert [r.target for r in records] == [ex.label for ex in examples]


def _module_level_imports(path: Path) -> set[str]:
    imported: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    return imported


def test_attribution_does_not_import_rationales() -> None:
    files = sorted((PACKAGE / "attribution").rglob("*.py"))
    assert files
    offenders = {
        str(f.relative_to(PACKAGE)): sorted(
            m for m in _module_level_imports(f) if m.startswith("tokendistill.rationales")
        )
        for f in files
    }
    assert {f: mods for f, mods in offenders.items() if mods} == {}
    assert not (PACKAGE / "rationales" / "store.py").exists()
    assert not (PACKAGE / "rationales" / "writer.py").exists()
