"""The synthetic task is deterministic and its planted evidence spans are exact."""

from __future__ import annotations

from tokendistill.tasks import TaskConfig, load_task
from tokendistill.tasks.synthetic import CUES, FILLERS


def load(**synthetic):
    return load_task(TaskConfig(name="synthetic", synthetic=synthetic, llm_rationales=True))


def test_same_seed_same_examples_other_seed_differs() -> None:
    _, first = load(seed=3)
    _, second = load(seed=3)
    _, other = load(seed=4)
    assert first.train == second.train and first.test == second.test
    assert [e.stored_meta() for e in first.train] == [e.stored_meta() for e in second.train]
    assert [e.text for e in first.train] != [e.text for e in other.train]


def test_sizes_labels_and_balance() -> None:
    task, data = load(n_train=400, n_valid=20, n_test=30)
    assert data.sizes() == {"train": 400, "valid": 20, "test": 30}
    assert data.label_set == task.label_set == ("animal", "color", "food", "tool")
    counts = {label: sum(e.label == label for e in data.train) for label in data.label_set}
    assert min(counts.values()) > 60
    _, three = load(n_labels=3, n_train=50)
    assert {e.label for e in three.train} == {"animal", "color", "food"}


def test_evidence_spans_are_the_planted_cues() -> None:
    vocabulary = set(FILLERS) | {w for words in CUES.values() for w in words}
    assert set(FILLERS).isdisjoint(w for words in CUES.values() for w in words)
    assert set(CUES).isdisjoint(vocabulary)
    _, data = load(cues_per_example=2, n_train=200)
    for example in data.train:
        words = example.text.split(" ")
        assert 10 <= len(words) <= 16 and example.text == example.text.lower()
        assert set(words) <= vocabulary
        cues = [w for w in words if w not in FILLERS]
        evidence = example.evidence
        assert [item.word for item in evidence] == cues and len(cues) == 2
        for item in evidence:
            assert example.text[item.start : item.end] == item.word
            assert item.word in CUES[example.label]
        assert example.content_spans == ((0, len(example.text)),)
        assert example.llm_label == example.label and cues[0] in example.llm_rationale


def test_max_examples() -> None:
    _, data = load_task(TaskConfig(name="synthetic", max_examples={"train": 5}))
    assert len(data.train) == 5 and data.train[0].llm_rationale is None


def _fingerprint(examples) -> str:
    import hashlib
    import json

    rows = [
        [e.id, e.text, e.label, list(e.content_spans), json.dumps(e.stored_meta(), sort_keys=True)]
        for e in examples
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def test_the_plain_task_does_not_change_with_the_testbed_knobs_off() -> None:
    """The knobs draw from their own generator: with them off, every example is what it
    was before they existed (fingerprint of the first 300 rows of each split)."""
    from tokendistill.tasks.config import SyntheticConfig
    from tokendistill.tasks.synthetic import generate

    rows = [e for split in ("train", "valid", "test") for e in generate(split, 300, SyntheticConfig(), True)]
    assert _fingerprint(rows) == "1e28981c1b1a9309"


def _agreement(examples) -> float:
    return sum(e.shortcut.agrees for e in examples) / len(examples)


def test_the_shortcut_predicts_the_label_in_train_and_valid_only() -> None:
    _, data = load(
        n_train=2000, n_valid=2000, n_test=2000, shortcut=0.9, teacher_train=2000, teacher_valid=200
    )
    chance = 1 / len(data.label_set)
    # P(agree) = p + (1 - p) / labels in the student's splits; 1 / labels elsewhere (±3 sd).
    for split in (data.train, data.valid):
        assert abs(_agreement(split) - (0.9 + 0.1 * chance)) < 0.02
    for split in (data.test, data.teacher_train):
        assert abs(_agreement(split) - chance) < 0.03
    # Independence in test: within each label, each shortcut word has share 1/labels.
    for label in data.label_set:
        words = [e.shortcut.word for e in data.test if e.label == label]
        for word in set(words):
            assert abs(words.count(word) / len(words) - chance) < 0.07
    for example in [*data.train[:200], *data.test[:200]]:
        shortcut = example.shortcut
        assert example.text[shortcut.start : shortcut.end] == shortcut.word
        for item in example.evidence:
            assert example.text[item.start : item.end] == item.word in CUES[example.label]


def test_distractors_replace_fillers_at_the_asked_rate() -> None:
    from tokendistill.tasks.synthetic import DISTRACTORS

    assert set(DISTRACTORS).isdisjoint(FILLERS) and all(set(DISTRACTORS).isdisjoint(c) for c in CUES.values())
    _, data = load(n_train=500, distractors=0.3, cues_per_example=2)
    words = [w for e in data.train for w in e.text.split(" ")]
    non_cue = [w for w in words if w in FILLERS or w in DISTRACTORS]
    share = sum(w in DISTRACTORS for w in non_cue) / len(non_cue)
    assert abs(share - 0.3) < 0.03
    assert all(len(e.evidence) == 2 for e in data.train)


def test_the_teacher_has_its_own_splits() -> None:
    _, data = load(n_train=20, teacher_train=300, teacher_valid=50)
    assert (len(data.teacher_train), len(data.teacher_valid)) == (300, 50)
    assert data.for_teacher().train == data.teacher_train and data.for_teacher().test == data.test
    assert {e.id for e in data.teacher_train}.isdisjoint(e.id for e in data.train)
    _, plain = load(n_train=20)
    assert plain.for_teacher() is plain
