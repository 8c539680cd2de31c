"""Resumable work as part files: what a killed run finished is kept, and only the rest is done.

Long work (attribution, rationale generation, the teacher's distributions) writes its
results as ``part-<number>.<suffix>`` files in a work folder, each written atomically (a
part is complete or absent), and merges them when everything is done. ``Parts`` names,
lists, writes and cleans up those files; what a number means is the caller's:

* ``fill``: items ``0..n-1`` in chunks of ``size``, chunk ``i`` in part ``i``; a part
  already there (a killed run's) is kept, not made again;
* the attribution writer numbers a part by the position of its first example in the run's
  order and reads which examples are done from the parts themselves, so ranks of a
  multi-process run write disjoint parts (``tokendistill.attribution.writer``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tokendistill.runtime.batching import each_batch
from tokendistill.runtime.files import clean_stale_temporaries


class Parts:
    """The part files ``part-<number>.<suffix>`` of one job in ``folder`` (numbers written
    with at least ``width`` digits)."""

    def __init__(self, folder: str | Path, suffix: str, *, width: int = 6) -> None:
        self.folder = Path(folder)
        self.suffix = suffix
        self.width = width
        self._name = re.compile(rf"^part-(\d{{{width},}})\.{re.escape(suffix)}$")

    def path(self, number: int) -> Path:
        return self.folder / f"part-{number:0{self.width}d}.{self.suffix}"

    def found(self) -> list[Path]:
        """The parts in the folder, in number order."""
        if not self.folder.is_dir():
            return []
        numbered = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := self._name.match(p.name))]
        return [p for _, p in sorted(numbered)]

    def clean(self) -> None:
        """Remove temporaries of parts whose writer was killed mid-write (the part never
        appeared); those of live writers stay."""
        for leftover in self.folder.glob(f".part-*.{self.suffix}.tmp-*"):
            clean_stale_temporaries(self.folder / leftover.name[1:].split(".tmp-")[0])

    def write(self, number: int, save: Callable[[Path], object], *, holds: str = "") -> Path:
        """Part ``number``, written by ``save(path)``, which must write atomically (as the
        writers of ``tokendistill.runtime.files`` do). A part of that number must not exist
        yet (``holds``: what it would hold, for the error)."""
        path = self.path(number)
        if path.exists():
            raise FileExistsError(f"{path} exists but does not hold {holds or 'this part'}")
        save(path)
        return path

    def fill(self, n: int, size: int, save: Callable[[range, Path], object]) -> list[Path]:
        """Items ``0..n-1`` in chunks of ``size``, chunk ``i`` in part ``i``: the parts already
        there are kept, each missing one is written by ``save(rows, path)`` (atomically, see
        ``write``). Returns every part of the ``n`` items, in order."""
        paths: list[Path] = []

        def part(rows: slice) -> None:
            path = self.path(rows.start // size)
            if not path.is_file():
                self.write(rows.start // size, lambda p: save(range(rows.start, rows.stop), p))
            paths.append(path)

        each_batch(size, n, part)
        return paths
