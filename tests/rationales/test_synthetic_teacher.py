"""End to end on the synthetic task: a trained tiny teacher's saliency finds the planted word.

The planted cue word is the only evidence for the label, so a faithful attribution method
must rank it first far more often than k random words do, and removing its top-k words
must hurt the teacher more than removing k random ones.
"""

from __future__ import annotations

import pytest

from tokendistill.attribution import attribute
from tokendistill.models.adapter import make_adapter
from tokendistill.models.tiny import build_tiny_tokenizer, tiny_causal
from tokendistill.rationales.analysis import ErasureScorer, evidence_hits, faithfulness
from tokendistill.rationales.config import SelectionConfig
from tokendistill.rationales.select import Selection
from tokendistill.stages.analyze import answer_logprobs
from tokendistill.tasks import SyntheticConfig, TaskConfig, load_task
from tokendistill.training import TrainingConfig, build_rows, train_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    spec = SyntheticConfig(n_train=128, n_valid=32, n_test=32, seed=3)
    task, data = load_task(TaskConfig(name="synthetic", synthetic=spec))
    tokenizer = build_tiny_tokenizer([e.text for e in data.train] + list(task.label_set))
    adapter = make_adapter(tiny_causal(tokenizer, seed=0), tokenizer)
    config = TrainingConfig(
        epochs=20,
        learning_rate=3e-3,
        warmup=0.1,
        batch_size=16,
        eval_steps=80,
        eval_mode="rank",
    )
    result = train_model(
        adapter,
        None,
        build_rows(data.train, "standard"),
        data.valid,
        data.test,
        task,
        config,
        tmp_path_factory.mktemp("teacher"),
    )
    assert result.test_metrics["accuracy"] >= 0.9, result.test_metrics
    return task, data, adapter


def test_saliency_hits_the_planted_evidence_far_above_random(trained) -> None:
    task, data, adapter = trained
    evidence = {e.id: [(ev.start, ev.end) for ev in e.evidence] for e in data.train}
    selection = Selection(SelectionConfig(unit="word", filters=["punctuation"]))
    records = attribute(adapter, data.train, "saliency", split="train", score_fn=task.score)
    for k in (1, 2):
        hits = evidence_hits(records, evidence, k, selection, seed=0)
        print(
            f"k={k}: saliency top-k hits the planted word in {hits.hit_rate:.1%}, "
            f"random-k in {hits.random_rate:.1%}"
        )
        assert hits.n == len(data.train)
        assert hits.hit_rate >= 0.9
        assert hits.hit_rate >= hits.random_rate + 0.5


def test_top_k_is_more_comprehensive_and_sufficient_than_random_k(trained) -> None:
    task, data, adapter = trained
    selection = Selection(SelectionConfig(unit="word", filters=["punctuation"]))
    records = attribute(adapter, data.train[:48], "saliency", split="train", score_fn=task.score)
    scorer = ErasureScorer(answer_logprobs(adapter, 16), data.answer_choices("train"))
    result = faithfulness(records, 1, scorer, selection, seed=0)
    comp, suff = result["comprehensiveness"], result["sufficiency"]
    print(
        f"comprehensiveness {comp.mean:.3f} (random-k {comp.mean_random:.3f}); "
        f"sufficiency {suff.mean:.3f} (random-k {suff.mean_random:.3f})"
    )
    assert comp.mean > comp.mean_random + 0.1
    assert suff.mean < suff.mean_random - 0.1
