"""What the integrity check of a reused artifact costs, on a real model folder.

Every finished artifact records its files' sizes and SHA-256 in DONE.json; a run that reuses
an artifact checks the sizes (always) and the checksums (the first time it reads the artifact
in that run). This times, on the same folder in one process: reading every file (what any
reader pays anyway), hashing every file (``integrity.file_list``, the checksum check), and the
size check alone; it prints each rate and the checksum check's cost relative to a plain read.

Default folder: the packaged SmolLM2-135M (float32 safetensors, ~0.5 GB), built by any run or
test that used ``smollm2-135m``.

    .venv/bin/python benchmarks/integrity_cost.py [--folder PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tokendistill.models.packaged import PACKAGED
from tokendistill.runtime import integrity


def read_all(folder: Path) -> int:
    total = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


def best_of(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.folder or PACKAGED["smollm2-135m"].built_folder()
    if folder is None:
        raise SystemExit("smollm2-135m is not built yet: run anything that uses it, or pass --folder")
    read_s, size = best_of(args.repeat, lambda: read_all(folder))
    hash_s, files = best_of(args.repeat, lambda: integrity.file_list(folder))
    record = {"files": files, "digest": integrity.content_digest(files)}
    size_s, _ = best_of(args.repeat, lambda: integrity.problem(folder, record, checksum=False))
    check_s, problem = best_of(args.repeat, lambda: integrity.problem(folder, record, checksum=True))
    assert problem is None
    gb = size / 1e9
    print(f"folder: {folder} ({len(files)} files, {gb:.3f} GB), best of {args.repeat}")
    print(f"read every file:          {read_s:.3f} s  ({gb / read_s:.2f} GB/s)")
    print(f"hash every file (record): {hash_s:.3f} s  ({gb / hash_s:.2f} GB/s)")
    print(f"check sizes and hashes:   {check_s:.3f} s  ({gb / check_s:.2f} GB/s)")
    print(f"check sizes only:         {size_s * 1000:.2f} ms")
    print(f"checksum check / plain read: {check_s / read_s:.2f}x")


if __name__ == "__main__":
    main()
