"""Artifact writes are atomic: the old file survives a failed write, no temp file is left."""

from __future__ import annotations

import json
import os

import pytest

from tokendistill.runtime.files import atomic_write_json, read_jsonl, write_jsonl


def test_json_and_jsonl_round_trip(tmp_path):
    records = [
        {"id": "a", "prediction": "yes", "correct": True},
        {"id": "b", "prediction": "é", "correct": False},
    ]
    path = write_jsonl(tmp_path / "deep/preds.jsonl", records)
    assert read_jsonl(path) == records
    metrics = atomic_write_json(tmp_path / "metrics.json", {"accuracy": 0.5})
    assert json.loads(metrics.read_text()) == {"accuracy": 0.5}
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "metrics.json", "preds.jsonl"]


def test_failed_replace_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = atomic_write_json(tmp_path / "metrics.json", {"v": 1})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_json(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
