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
    assert [e.meta for e in first.train] == [e.meta for e in second.train]
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
        evidence = example.meta["evidence"]
        assert [item["word"] for item in evidence] == cues and len(cues) == 2
        for item in evidence:
            assert example.text[item["start"] : item["end"]] == item["word"]
            assert item["word"] in CUES[example.label]
        assert example.content_spans == ((0, len(example.text)),)
        assert example.meta["llm_label"] == example.label and cues[0] in example.meta["llm_rationale"]


def test_max_examples() -> None:
    _, data = load_task(TaskConfig(name="synthetic", max_examples={"train": 5}))
    assert len(data.train) == 5 and "llm_rationale" not in data.train[0].meta
