from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import pytest

from tokendistill.runtime.files import (
    atomic_dir,
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    canonical_json,
    clean_stale_temporaries,
    stable_hash,
)


def test_atomic_write_text_and_json(tmp_path):
    atomic_write_text(tmp_path / "sub" / "a.txt", "héllo")
    assert (tmp_path / "sub" / "a.txt").read_text(encoding="utf-8") == "héllo"
    atomic_write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1, 2], "b": 1}
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "nan.json", {"x": math.nan})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "sub"]


def test_atomic_path_failure_leaves_old_file(tmp_path):
    final = tmp_path / "f.bin"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert final.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "never.bin"):
        pass
    assert not (tmp_path / "never.bin").exists()


def test_atomic_dir_success_and_failure(tmp_path):
    final = tmp_path / "ckpt"
    with pytest.raises(RuntimeError), atomic_dir(final) as tmp:
        (tmp / "weights.bin").write_bytes(b"half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with atomic_dir(final) as tmp:
        assert tmp.parent == final.parent and not final.exists()
        (tmp / "weights.bin").write_bytes(b"ok")
    assert (final / "weights.bin").read_bytes() == b"ok"
    with pytest.raises(FileExistsError), atomic_dir(final):
        pass
    with atomic_dir(final, overwrite=True) as tmp:
        (tmp / "weights.bin").write_bytes(b"new")
    assert (final / "weights.bin").read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_leftovers_of_dead_writers_are_cleaned(tmp_path, dead_pid):
    final = tmp_path / "out"
    dead = tmp_path / f".out.tmp-{dead_pid}-abcd1234"
    dead.mkdir()
    (dead / "partial").write_text("x")
    live = tmp_path / f".out.tmp-{os.getpid()}-abcd1234"
    live.mkdir()
    assert clean_stale_temporaries(final) == [dead]
    assert live.exists() and not dead.exists()
    live.rmdir()
    dead.mkdir()
    with atomic_dir(final) as tmp:
        (tmp / "x").write_text("y")
    assert not dead.exists()


@dataclasses.dataclass
class _Cfg:
    lr: float
    path: Path


def test_stable_hash_canonical():
    a = {"b": 1, "a": {"y": [1, 2], "x": (3,)}, "s": {"q", "p"}}
    b = {"s": {"p", "q"}, "a": {"x": [3], "y": (1, 2)}, "b": 1}
    assert stable_hash(a) == stable_hash(b)
    assert len(stable_hash(a)) == 16 and len(stable_hash(a, 8)) == 8
    assert stable_hash({"b": 2}) != stable_hash({"b": 1})
    assert stable_hash(_Cfg(0.1, Path("a/b"))) == stable_hash({"lr": 0.1, "path": "a/b"})
    assert canonical_json({"b": 1, "a": 2}) == '{"a":2,"b":1}'
    with pytest.raises(TypeError):
        stable_hash({1: "x"})
    with pytest.raises(TypeError):
        stable_hash(object())
    with pytest.raises(ValueError):
        stable_hash(math.nan)
