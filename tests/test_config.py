"""Config errors name the file, the line, the key path and (for choices) the allowed values;
``--set`` overrides apply, and a bad one says what is wrong with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.helpers import DEMO
from tokendistill.attribution import list_methods
from tokendistill.config import Config
from tokendistill.config_io import ConfigError, load_yaml_config
from tokendistill.rationales.sources import get_source, list_sources
from tokendistill.training.modes import get_mode, list_modes

# Line numbers below refer to this text.
BASE = """\
run_dir: runs/test
task:
  name: synthetic
teacher:
  model: {name: tiny-causal}
attribution:
  methods: [saliency, random]
selection: {k: 3, unit: word}
student_model: {name: tiny-causal}
students:
  - {name: standard, mode: standard}
  - name: ours
    mode: multitask
    rationale: {source: attribution, method: saliency}
"""


def load(tmp_path: Path, text: str = BASE, overrides: tuple[str, ...] = ()) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml_config(path, Config, overrides)


def error(tmp_path: Path, text: str = BASE, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text, overrides)
    return str(err.value)


def test_base_config_is_valid(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert [s.name for s in config.students] == ["standard", "ours"]
    assert config.selection.k == 3


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        # unknown keys, top level and nested
        ("run_dir: runs/test\n", "run_dir: runs/test\nseed: 3\n", "line 2: seed:", "unknown key"),
        ("    mode: multitask\n", "    mdoe: multitask\n", "line 13: students.1.mdoe:", "unknown key"),
        ("{k: 3, unit: word}", "{k: 3, unit: word, size: 4}", "line 8: selection.size:", "unknown key"),
        # bad values: the allowed choices are listed
        ("unit: word", "unit: sentence", "line 8: selection.unit:", "'token' or 'word'"),
        (
            "{name: standard, mode: standard}",
            "{name: standard, mode: foo}",
            "line 11: students.0.mode:",
            f"unknown student mode 'foo'; known: {list_modes()}",
        ),
        ("k: 3,", "k: 0,", "line 8: selection.k:", "greater than or equal to 1"),
        # an attribution method that does not exist
        (
            "[saliency, random]",
            "[saliency, shap]",
            "line 7: attribution.methods:",
            f"unknown attribution method(s) ['shap']; allowed: {list_methods()}",
        ),
        # a student using a method that is not computed
        (
            "methods: [saliency, random]",
            "methods: [random]",
            "line 14: students.1.rationale.method:",
            "student 'ours' uses method 'saliency', which is not in attribution.methods ['random']",
        ),
    ],
)
def test_error_names_file_line_key_and_choices(
    tmp_path: Path, old: str, new: str, where: str, says: str
) -> None:
    assert BASE.count(old) == 1
    message = error(tmp_path, BASE.replace(old, new))
    assert f"{tmp_path / 'config.yaml'}, {where}" in message
    assert says in message


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = BASE.replace("unit: word", "unit: sentence").replace("mode: multitask", "mode: foo")
    lines = error(tmp_path, text).splitlines()
    assert lines[0] == "invalid config:"
    assert [line.split(": ")[1] for line in lines[1:]] == ["selection.unit", "students.1.mode"]


def test_missing_section_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, BASE.replace("student_model: {name: tiny-causal}\n", ""))
    assert "student_model: Field required" in message


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid YAML" in error(tmp_path, BASE + "students: [\n")
    assert "the top level must be a mapping" in error(tmp_path, "- a\n- b\n")
    with pytest.raises(ConfigError, match="config file not found"):
        load_yaml_config(tmp_path / "nope.yaml", Config)


def test_overrides_apply(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        overrides=(
            "selection.k=7",
            "seeds=[0, 1]",
            "students.1.alpha=0.3",
            "attribution.options.random={seed: 4}",
            "task.synthetic.n_train=40",
            "run_dir=elsewhere",
            "title=a = b",  # only the first '=' splits
        ),
    )
    assert config.selection.k == 7
    assert config.seeds == [0, 1]
    assert config.students[1].alpha == 0.3
    assert config.attribution.options == {"random": {"seed": 4}}
    assert config.task.synthetic is not None and config.task.synthetic.n_train == 40
    assert config.run_dir == Path("elsewhere")
    assert config.title == "a = b"


@pytest.mark.parametrize(
    ("override", "says"),
    [
        (
            "selection.unit=sentence",
            "config.yaml, from --set: selection.unit: Input should be 'token' or 'word'",
        ),
        ("students.1.mdoe=x", "config.yaml, from --set: students.1.mdoe: unknown key"),
        ("teacher.model={name: x, size: 3}", "from --set teacher.model: teacher.model.size: unknown key"),
        ("selection.k", "--set 'selection.k': expected key=value"),
        ("students.5.mode=standard", "--set students.5.mode: students has 2 item(s), no item '5'"),
        ("seeds.first=1", "config.yaml, from --set seeds.first: seeds: Input should be a valid list"),
        ("run_dir.sub=1", "--set run_dir.sub: 'run_dir' is not a section"),
    ],
)
def test_bad_override_fails_clearly(tmp_path: Path, override: str, says: str) -> None:
    message = error(tmp_path, overrides=(override,))
    assert says in message
    assert "line" not in message  # the bad value is not on any line of the file


def test_demo_config_is_valid() -> None:
    config = load_yaml_config(DEMO, Config)
    assert config.task.name == "synthetic"
    assert {s.rationale.method for s in config.students if s.rationale and s.rationale.method} <= set(
        config.attribution.methods
    )


def test_a_bad_model_spec_fails_validation_with_its_key(tmp_path: Path) -> None:
    text = BASE.replace(
        "student_model: {name: tiny-causal}", 'student_model: {name: "smollm2-135m:layers=x"}'
    )
    message = error(tmp_path, text)
    assert f"{tmp_path / 'config.yaml'}, line 9: student_model.name: bad layer cut ':layers=x'" in message
    assert "Value error" not in message
    for spec, says in [
        ("gpt2", "unknown model 'gpt2'"),
        ("./no/such/folder", "there is no folder './no/such/folder'"),
        ("tiny-causal:layers=1", "a ':layers=' cut does not apply"),
    ]:
        assert says in error(tmp_path, overrides=(f"student_model.name={spec}",))


@pytest.mark.parametrize("key", ["mode", "alpha", "seed"])
def test_what_the_pipeline_decides_is_not_a_training_key(tmp_path: Path, key: str) -> None:
    """A student's mode and α come from the student, its seed from ``seeds``, the teacher's
    from ``teacher.seed``: the training sections do not accept them (they would be ignored)."""
    message = error(tmp_path, overrides=(f"student_training.{key}=1",))
    assert f"student_training.{key}: unknown key" in message
    assert load(tmp_path, overrides=("teacher.seed=3",)).teacher.seed == 3


@pytest.mark.parametrize("mode", list_modes())
def test_every_registered_mode_validates_with_what_it_needs(tmp_path: Path, mode: str) -> None:
    student = f"{{name: s, mode: {mode}}}"
    if get_mode(mode).needs_rationale:
        assert "needs a `rationale` source" in error(tmp_path, overrides=(f"students=[{student}]",))
        student = f"{{name: s, mode: {mode}, rationale: {{source: random}}}}"
    config = load(tmp_path, overrides=(f"students=[{student}]",))
    assert config.students[0].mode == mode
    for key, value in (("alpha", 0.7), ("label_warmup_steps", 10)):
        weighed = student[:-1] + f", {key}: {value}}}"
        if key in get_mode(mode).options_model.model_fields:
            options = load(tmp_path, overrides=(f"students=[{weighed}]",)).students[0].options
            assert getattr(options, key) == value
        else:
            assert f"`{key}` does not apply" in error(tmp_path, overrides=(f"students=[{weighed}]",))


# The settings of sources that have required ones of their own (options_model).
SOURCE_OPTIONS = {"generate": ", model: tiny-causal"}


@pytest.mark.parametrize("source", list_sources())
def test_every_registered_source_validates_with_what_it_needs(tmp_path: Path, source: str) -> None:
    impl = get_source(source)
    own = SOURCE_OPTIONS.get(source, "")
    rationale = f"{{source: {source}{own}" + (", method: saliency" if impl.needs_method else "") + "}"
    student = f"{{name: s, mode: multitask, rationale: {rationale}, sweep_k: [1, 2]}}"
    if impl.selects_k:
        config = load(tmp_path, overrides=(f"students=[{student}]",))
        assert [s.rationale.k for s in config.expanded_students()] == [1, 2]
    else:
        assert "sweep_k needs a rationale source that selects k" in error(
            tmp_path, overrides=(f"students=[{student}]",)
        )
    if impl.needs_method:
        bare = f"{{name: s, mode: multitask, rationale: {{source: {source}}}}}"
        assert "needs `method`" in error(tmp_path, overrides=(f"students=[{bare}]",))
    else:
        extra = f"{{name: s, mode: multitask, rationale: {{source: {source}{own}, method: saliency}}}}"
        assert "`method` does not apply" in error(tmp_path, overrides=(f"students=[{extra}]",))


def test_the_stages_get_every_students_effective_k(tmp_path: Path) -> None:
    """``selection.k`` is the default of a rationale's ``k``, resolved in one place: the
    students the stages train carry it; a student's own k and sweep values win."""
    students = (
        "students=[{name: inherits, mode: multitask, rationale: {source: attribution, method: saliency}},"
        " {name: own, mode: multitask, rationale: {source: random, k: 2}},"
        " {name: swept, mode: multitask, rationale: {source: random}, sweep_k: [1, 4]},"
        " {name: gold, mode: multitask, rationale: {source: gold}}, {name: plain, mode: standard}]"
    )
    config = load(tmp_path, overrides=(students,))
    ks = {s.name: s.rationale.k if s.rationale else None for s in config.expanded_students()}
    assert ks == {"inherits": 3, "own": 2, "swept@k=1": 1, "swept@k=4": 4, "gold": None, "plain": None}
    assert config.students[0].rationale.k is None  # the file's value is kept as written


def test_a_model_name_is_parsed_once_by_validation(tmp_path: Path) -> None:
    config = load(tmp_path, overrides=("student_model.name=smollm2-135m:layers=4",))
    model = config.student_model
    assert (model.kind, model.spec.base, model.spec.layers.count) == ("packaged", "smollm2-135m", 4)
    assert config.teacher.model.kind == "tiny"
    renamed = model.model_copy(update={"name": "tiny-seq2seq"})  # a copy with another name
    assert (renamed.kind, renamed.spec.base) == ("tiny", "tiny-seq2seq")
    too_deep = error(tmp_path, overrides=("student_model.name=smollm2-135m:layers=99",))
    assert "from --set: student_model.name: 'smollm2-135m:layers=99': smollm2-135m has only 30" in too_deep
