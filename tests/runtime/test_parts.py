"""Part files of resumable work: a part already there is kept, only missing ones are made,
and temporaries of a killed writer are cleaned up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tokendistill.runtime.files import atomic_write_text
from tokendistill.runtime.parts import Parts


def save_rows(made: list[range]):
    def save(rows: range, path: Path) -> None:
        made.append(rows)
        atomic_write_text(path, ",".join(map(str, rows)))

    return save


def test_fill_writes_chunks_as_numbered_parts_and_keeps_what_is_there(tmp_path: Path) -> None:
    parts = Parts(tmp_path / "parts", "txt")
    made: list[range] = []
    paths = parts.fill(7, 3, save_rows(made))
    assert [p.name for p in paths] == ["part-000000.txt", "part-000001.txt", "part-000002.txt"]
    assert [p.read_text() for p in paths] == ["0,1,2", "3,4,5", "6"]
    assert made == [range(0, 3), range(3, 6), range(6, 7)]

    paths[1].unlink()  # a run killed before its second part
    made.clear()
    assert parts.fill(7, 3, save_rows(made)) == paths
    assert made == [range(3, 6)]
    assert parts.found() == paths


def test_write_refuses_a_part_that_exists_and_found_ignores_other_files(tmp_path: Path) -> None:
    parts = Parts(tmp_path, "txt", width=5)
    parts.write(12, lambda p: atomic_write_text(p, "x"))
    (tmp_path / "part-7.txt").write_text("too few digits")
    (tmp_path / "notes.txt").write_text("")
    assert [p.name for p in parts.found()] == ["part-00012.txt"]
    with pytest.raises(FileExistsError, match="does not hold 'e1'"):
        parts.write(12, lambda p: atomic_write_text(p, "y"), holds="'e1'")


def test_clean_removes_temporaries_of_dead_writers_only(tmp_path: Path, dead_pid: int) -> None:
    dead = tmp_path / f".part-000000.txt.tmp-{dead_pid}-deadbeef"
    live = tmp_path / f".part-000001.txt.tmp-{os.getpid()}-cafebabe"
    dead.write_text("half")
    live.write_text("in progress")
    Parts(tmp_path, "txt").clean()
    assert not dead.exists() and live.exists()
