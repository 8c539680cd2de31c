"""The training profile's token counts: what each layout computes, what the rows hold."""

from __future__ import annotations

import pytest
import torch

from tokendistill.training.profile import TrainingProfile

BATCH = {
    "prompt_mask": torch.tensor([[0, 1, 1], [1, 1, 1]]),  # causal prompts are left-padded
    "target_mask": torch.tensor([[1, 0], [1, 1]]),
}


def test_padding_is_what_the_layout_computes_beyond_the_rows() -> None:
    """Either layout computes 2 × (3 + 2) positions here: one sequence of prompt and target
    (decoder-only), or 2 × 3 encoder and 2 × 2 decoder positions (encoder-decoder)."""
    computed = 2 * (3 + 2)
    profile = TrainingProfile()
    profile.count(BATCH)
    profile.count(BATCH)
    assert profile.real_tokens == 2 * 8 and profile.computed_tokens == 2 * computed
    figures = profile.to_json()
    assert figures["padding_share"] == pytest.approx(1 - 8 / computed)


def test_a_batch_per_task_counts_each_part_at_its_own_width() -> None:
    label = {"prompt_mask": torch.tensor([[1, 1]]), "target_mask": torch.tensor([[1]])}
    profile = TrainingProfile()
    profile.count({"parts": [label, BATCH]})
    assert profile.real_tokens == 3 + 8 and profile.computed_tokens == 3 + 10


def test_the_rest_is_what_no_timer_covered() -> None:
    profile = TrainingProfile()
    with profile.timed("collate", sync=False):
        pass
    profile.seconds["forward_backward"] = 2.0
    profile.real_tokens = 100
    profile.finish(steps=3)
    profile.total = 5.0
    figures = profile.to_json()
    assert figures["seconds"]["other"] == pytest.approx(3.0 - profile.seconds["collate"])
    assert figures["tokens_per_second"] == 50.0 and figures["optimizer_steps"] == 3
