"""``synthetic``: a generated task with planted evidence, and a testbed for distillation.

Each example is a lowercase sentence of filler words with one (or a few) cue word(s)
planted at random positions; the cue's class is the label ("animal", "color", "food",
"tool"). Fillers never carry a label and cue words never collide across classes, so the
planted words are the whole evidence: a tiny transformer learns the task in seconds, and an
attribution method can be checked by whether its top tokens hit ``Example.evidence``.

The knobs of ``SyntheticConfig`` turn it into a controlled testbed for the paper's premise
(a teacher that knows something its student cannot learn from its own data): neutral
distractor nouns, and a *shortcut* word that predicts the label in the student's train and
valid splits but not in test, while the teacher learns from its own abundant splits where
the shortcut carries no signal. ``Example.shortcut`` records the word and whether it agrees
with the label.

Generation depends only on the seed and split name (string seeds hash with SHA-512 in
``random``, independent of PYTHONHASHSEED); the knobs draw from a second generator per
example, so the plain task is the same with or without them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import SPLITS, SyntheticConfig, TaskConfig
from tokendistill.tasks.example import Evidence, Example, Shortcut, TemplateBuilder
from tokendistill.tasks.metrics import exact_match
from tokendistill.tasks.readers import Record

CUES: dict[str, tuple[str, ...]] = {
    "animal": ("cat", "dog", "horse", "cow", "bird", "fish"),
    "color": ("red", "blue", "green", "yellow", "purple", "pink"),
    "food": ("bread", "apple", "cheese", "rice", "soup", "cake"),
    "tool": ("hammer", "wrench", "drill", "shovel", "pliers", "ladder"),
}
FILLERS: tuple[str, ...] = (
    "the", "a", "we", "they", "it", "was", "is", "then", "and", "here", "there", "today",
    "again", "very", "just", "some", "on", "in", "with", "near", "by", "now", "quite", "still",
)  # fmt: skip
DISTRACTORS: tuple[str, ...] = (
    "table", "river", "cloud", "window", "paper", "stone", "garden", "letter", "music", "engine",
    "coin", "road", "chair", "lamp", "door", "forest",
)  # fmt: skip
SHORTCUTS: dict[str, str] = {"animal": "north", "color": "south", "food": "east", "tool": "west"}
# Splits whose shortcut word follows the label with probability ``shortcut`` (the student's).
BIASED = ("train", "valid")


class SyntheticTask(Task):
    name = "synthetic"
    notes = ("generated task: filler words plus planted cue word(s) whose class is the label",)

    def __init__(self) -> None:
        self.label_set = tuple(CUES)

    def score(self, prediction: str, example: Example) -> float:
        return exact_match(prediction, example)

    def format_records(self, records: Sequence[Record], config: TaskConfig) -> list[Example]:
        """Rows with a ``text`` field (all of it content), a ``label`` and optionally an ``id``."""
        labels = tuple(CUES)[: _spec(config).n_labels]
        out = []
        for record in records:
            text, label = record.text("text"), record.text("label")
            if label not in labels:
                raise record.error(f"label {label!r} is outside the task's label set {list(labels)}", "label")
            example_id = str(record.fields.get("id") or f"synthetic/input/{record.row}")
            out.append(Example(example_id, text, ((0, len(text)),), label, labels))
        return out

    def load(self, config: TaskConfig) -> TaskData:
        spec = _spec(config)
        labels = tuple(CUES)[: spec.n_labels]
        sizes = {"train": spec.n_train, "valid": spec.n_valid, "test": spec.n_test}
        splits = {}
        for split in SPLITS:
            examples = generate(split, sizes[split], spec, with_rationale=config.llm_rationales)
            splits[split] = examples[: getattr(config.max_examples, split)]
        teacher = {
            name: generate(name, size, spec, with_rationale=config.llm_rationales)
            for name, size in (("teacher_train", spec.teacher_train), ("teacher_valid", spec.teacher_valid))
        }
        return TaskData(**splits, **teacher, notes=[_note(spec, labels)], label_set=labels, task=self.name)


def _spec(config: TaskConfig) -> SyntheticConfig:
    """The task's knobs, which validating a TaskConfig named 'synthetic' fills in."""
    if config.synthetic is None:
        raise ValueError(f"task {config.name!r} has no `synthetic` section; validate the TaskConfig first")
    return config.synthetic


def _note(spec: SyntheticConfig, labels: tuple[str, ...]) -> str:
    knobs = [f"{spec.cues_per_example} planted cue(s)"]
    if spec.distractors:
        knobs.append(f"{spec.distractors:g} of fillers replaced by distractor nouns")
    if spec.shortcut is not None:
        knobs.append(f"a shortcut word that names the label with p = {spec.shortcut:g} in train/valid only")
    if spec.teacher_train:
        knobs.append(f"the teacher's own splits: {spec.teacher_train} train / {spec.teacher_valid} valid")
    return (
        f"synthetic task (seed {spec.seed}, {spec.min_words}-{spec.max_words} words, "
        f"{', '.join(knobs)}, labels {list(labels)})"
    )


def generate(split: str, n: int, spec: SyntheticConfig, with_rationale: bool = False) -> list[Example]:
    """``n`` examples of ``split``, the same for the same spec and split."""
    rng = random.Random(f"tokendistill-synthetic:{spec.seed}:{split}")
    labels = tuple(CUES)[: spec.n_labels]
    return [_example(f"synthetic/{split}/{i}", rng, labels, spec, with_rationale) for i in range(n)]


def _example(
    example_id: str, rng: random.Random, labels: tuple[str, ...], spec: SyntheticConfig, with_rationale: bool
) -> Example:
    label = rng.choice(labels)
    length = rng.randint(spec.min_words, spec.max_words)
    words = [rng.choice(FILLERS) for _ in range(length)]
    positions = sorted(rng.sample(range(length), spec.cues_per_example))
    for position in positions:
        words[position] = rng.choice(CUES[label])
    shortcut = None
    if spec.distractors or spec.shortcut is not None:
        extra = random.Random(f"tokendistill-synthetic-knobs:{spec.seed}:{example_id}")
        positions, shortcut = _apply_knobs(words, positions, label, labels, spec, extra, example_id)
    text, spans, evidence = _render(words, positions)
    example = Example(example_id, text, spans, label, labels, evidence=evidence, shortcut=shortcut)
    if not with_rationale:
        return example
    cue_words = " and ".join(item.word for item in evidence)
    return replace(example, llm_rationale=f"the word {cue_words} names a kind of {label}.", llm_label=label)


def _apply_knobs(
    words: list[str],
    positions: list[int],
    label: str,
    labels: tuple[str, ...],
    spec: SyntheticConfig,
    rng: random.Random,
    example_id: str,
) -> tuple[list[int], Shortcut | None]:
    """Distractors and the shortcut word, in place; returns the cue positions after any
    insertion and the shortcut (word, whether it agrees, its span in the final text)."""
    cues = set(positions)
    for i in range(len(words)):
        if i not in cues and rng.random() < spec.distractors:
            words[i] = rng.choice(DISTRACTORS)
    if spec.shortcut is None:
        return positions, None
    split = example_id.split("/")[1]
    biased = split in BIASED and rng.random() < spec.shortcut
    named = label if biased else rng.choice(labels)
    at = rng.randint(0, len(words))
    words.insert(at, SHORTCUTS[named])
    moved = [p + (p >= at) for p in positions]
    return moved, Shortcut(SHORTCUTS[named], named == label, *_span_of(words, at))


def _render(
    words: list[str], positions: list[int]
) -> tuple[str, tuple[tuple[int, int], ...], tuple[Evidence, ...]]:
    """The sentence (all content), its spans and the planted words' character spans."""
    builder, evidence, offset = TemplateBuilder(), [], 0
    for i, word in enumerate(words):
        if i:
            builder.content(" ")
            offset += 1
        builder.content(word)
        if i in positions:
            evidence.append(Evidence(word, offset, offset + len(word)))
        offset += len(word)
    text, spans = builder.build()
    return text, spans, tuple(evidence)


def _span_of(words: list[str], index: int) -> tuple[int, int]:
    start = sum(len(w) + 1 for w in words[:index])
    return start, start + len(words[index])
