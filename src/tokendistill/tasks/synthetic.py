"""``synthetic``: a generated task with one planted evidence word per example.

Each example is a lowercase sentence of filler words with one (or a few) cue word(s)
planted at random positions; the cue's class is the label ("animal", "color", "food",
"tool"). Fillers never carry a label and cue words never collide across classes, so the
planted word is the whole evidence: a tiny transformer learns the task in seconds, and an
attribution method can be checked by whether its top tokens hit ``meta["evidence"]``.
Generation depends only on the seed and split name (string seeds hash with SHA-512 in
``random``, independent of PYTHONHASHSEED).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tokendistill.tasks.base import Task, TaskData
from tokendistill.tasks.config import SPLITS, Split, SyntheticConfig, TaskConfig
from tokendistill.tasks.example import Example, TemplateBuilder
from tokendistill.tasks.llm_rationales import LABEL_KEY, RATIONALE_KEY
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


class SyntheticTask(Task):
    name = "synthetic"
    notes = ("generated task: filler words plus planted cue word(s) whose class is the label",)

    def __init__(self) -> None:
        self.label_set = tuple(CUES)

    def score(self, prediction: str, example: Example) -> float:
        return exact_match(prediction, example.label)

    def format_records(self, records: Sequence[Record], config: TaskConfig) -> list[Example]:
        """Rows with a ``text`` field (all of it content), a ``label`` and optionally an ``id``."""
        labels = tuple(CUES)[: (config.synthetic or SyntheticConfig()).n_labels]
        out = []
        for record in records:
            text, label = record.text("text"), record.text("label")
            if label not in labels:
                raise record.error(f"label {label!r} is outside the task's label set {list(labels)}", "label")
            example_id = str(record.fields.get("id") or f"synthetic/input/{record.row}")
            out.append(Example(example_id, text, ((0, len(text)),), label, labels))
        return out

    def load(self, config: TaskConfig) -> TaskData:
        spec = config.synthetic or SyntheticConfig()
        labels = tuple(CUES)[: spec.n_labels]
        sizes = {"train": spec.n_train, "valid": spec.n_valid, "test": spec.n_test}
        splits = {}
        for split in SPLITS:
            examples = generate(split, sizes[split], spec, with_rationale=config.llm_rationales)
            splits[split] = examples[: getattr(config.max_examples, split)]
        note = (
            f"synthetic task (seed {spec.seed}, {spec.min_words}-{spec.max_words} words, "
            f"{spec.cues_per_example} planted cue(s), labels {list(labels)})"
        )
        return TaskData(**splits, notes=[note], label_set=labels, task=self.name)


def generate(split: Split, n: int, spec: SyntheticConfig, with_rationale: bool = False) -> list[Example]:
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
    builder, evidence, offset = TemplateBuilder(), [], 0
    for i, word in enumerate(words):
        if i:
            builder.content(" ")
            offset += 1
        builder.content(word)
        if i in positions:
            evidence.append({"word": word, "start": offset, "end": offset + len(word)})
        offset += len(word)
    text, spans = builder.build()
    meta: dict = {"evidence": evidence}
    if with_rationale:
        cue_words = " and ".join(item["word"] for item in evidence)
        meta[RATIONALE_KEY] = f"the word {cue_words} names a kind of {label}."
        meta[LABEL_KEY] = label
    return Example(example_id, text, spans, label, labels, meta)
