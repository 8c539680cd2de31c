"""Each task in a padded batch of its own (``RowCollator(by_task=True)``, the trainer's layout):
a short predict row no longer pads to a long explain row, and every mode's loss and gradients
are those of the packed batch."""

from __future__ import annotations

import pytest

from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import tiny_causal, tiny_seq2seq
from tokendistill.stages.distributions import teacher_targets
from tokendistill.training import build_rows
from tokendistill.training.data import ExampleRowsDataset, RowCollator, batch_parts
from tokendistill.training.modes import TermInputs, get_mode, mode_options
from tokendistill.training.rows import TASK_LABEL, TASK_RATIONALE
from tokendistill.training.soft_targets import TeacherDistributions, vocabulary_fingerprint
from tolerances import BATCHING, assert_close
from trainer_steps import assert_same_step, step_loss_and_gradients, toy_trainer

MODES = {
    "multitask": {"alpha": 0.3},
    "kd-multitask": {"alpha": 0.6, "soft_labels": {"over": "choices", "weight": 0.5, "temperature": 2.0}},
    "guided-gradient": {"alpha": 0.5},
    "guided-consistency": {"alpha": 0.5},
}


def _setup(toy, arch: str, mode: str, rationales=None):
    tokenizer = toy.toy_tokenizer()
    build = tiny_seq2seq if arch == "seq2seq" else tiny_causal
    adapter = make_adapter(build(tokenizer, seed=3), tokenizer)
    examples = toy.TRAIN[:6]
    options = MODES[mode]
    rationales = rationales or toy.animal_rationales(examples)
    rows = build_rows(examples, mode, rationales=rationales, options=options)
    chosen = mode_options(mode, options)
    marks = toy.animal_marks(examples) if mode.startswith("guided") else None
    distributions = _distributions(adapter, chosen.soft_labels, examples) if mode.startswith("kd") else None
    inputs = TermInputs(adapter, rows, distributions, "student", marks=marks)
    terms = get_mode(mode).loss_terms(chosen, inputs)
    return adapter, rows, terms


def _distributions(teacher, config, examples) -> TeacherDistributions:
    """The model's own scores of the answers seen, as a teacher's."""
    choices = [sorted({ex.label for ex in examples})] * len(examples)
    targets = teacher_targets(teacher, config, [ex.text for ex in examples], choices, batch_size=4)
    entries = {ex.id: target for ex, target in zip(examples, targets, strict=True)}
    return TeacherDistributions(
        "key", "choices", "teacher", vocabulary_fingerprint(teacher.tokenizer), entries
    )


def test_each_task_pads_to_its_own_longest_row(toy) -> None:
    long = {ex.id: ex.text for ex in toy.TRAIN[:6]}  # explain rows longer than any label
    adapter, rows, terms = _setup(toy, "causal", "multitask", long)
    items = [ExampleRowsDataset(rows)[i] for i in range(6)]
    packed = RowCollator(adapter, terms)(items)
    label, rationale = batch_parts(RowCollator(adapter, terms, by_task=True)(items))
    assert (label["row_task"] == TASK_LABEL).all() and (rationale["row_task"] == TASK_RATIONALE).all()
    for part in (label, rationale):  # each part is as wide as its own longest row
        assert part["target_mask"][:, -1].any() and part["prompt_mask"][:, 0].any()  # prompts left-padded
    assert label["target_mask"].shape[1] < packed["target_mask"].shape[1]
    real = sum(int(p["target_mask"].sum()) for p in (label, rationale))
    assert real == int(packed["target_mask"].sum())


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("arch", ["seq2seq", "causal"])
def test_by_task_batches_give_the_packed_loss_and_gradients(toy, arch: str, mode: str, tmp_path) -> None:
    adapter, rows, terms = _setup(toy, arch, mode)
    trainer = toy_trainer(toy, adapter, tmp_path, terms=terms)
    items = [ExampleRowsDataset(rows)[i] for i in range(6)]
    packed, split = (
        step_loss_and_gradients(trainer, RowCollator(adapter, terms, by_task=by_task)(items))
        for by_task in (False, True)
    )
    assert_same_step(split, packed)


def test_a_label_only_warm_up_computes_no_rationale_rows(toy, tmp_path, monkeypatch) -> None:
    """During ``label_warmup_steps`` the explain rows weigh 0: their batch is not computed at
    all, and the loss is what the packed batch gives; afterwards both tasks run."""
    tokenizer = toy.toy_tokenizer()
    adapter = make_adapter(tiny_causal(tokenizer, seed=3), tokenizer)
    examples = toy.TRAIN[:6]
    options = {"alpha": 0.3, "label_warmup_steps": 5}
    rows = build_rows(examples, "multitask", rationales=toy.animal_rationales(examples), options=options)
    terms = get_mode("multitask").loss_terms(mode_options("multitask", options), TermInputs(adapter, rows))
    trainer = toy_trainer(toy, adapter, tmp_path, terms=terms)
    items = [ExampleRowsDataset(rows)[i] for i in range(6)]
    forwards = []
    target_logits = adapter.target_logits

    def counted(batch, *args, **kwargs):
        forwards.append(len(batch))
        return target_logits(batch, *args, **kwargs)

    monkeypatch.setattr(adapter, "target_logits", counted)
    model = adapter.model.train()
    for step, computed in ((0, [6]), (4, [6]), (5, [6, 6])):
        trainer.state.global_step = step
        losses = []
        for by_task in (True, False):
            batch = RowCollator(adapter, terms, by_task=by_task)(items)
            _, counts = trainer.get_batch_samples(iter([batch]), 1, trainer.args.device)
            forwards.clear()
            losses.append(trainer.compute_loss(model, batch, num_items_in_batch=counts))
            if by_task:
                assert forwards == computed, step
        assert_close(losses[0], losses[1], BATCHING, f"loss at step {step}")
