"""Process state of a (possibly multi-process) run: who this process is, its share, and
how processes agree.

Under ``accelerate launch`` every process runs the same code; ``default_state`` tells it
its rank, ``shard_range`` gives it a contiguous share of the work, and ``broadcast`` hands
the main process's decision to the others. Anything with the four members of
``ProcessState`` will do, so tests can simulate ranks inside one process.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

import torch
from accelerate import PartialState

T = TypeVar("T")


class ProcessState(Protocol):
    """The part of accelerate's ``PartialState`` that a run needs."""

    @property
    def process_index(self) -> int: ...

    @property
    def num_processes(self) -> int: ...

    @property
    def is_main_process(self) -> bool: ...

    def wait_for_everyone(self) -> None: ...


def shard_range(n_items: int, rank: int, world_size: int) -> range:
    """Rank ``rank``'s contiguous share of ``n_items``; sizes differ by at most one."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside a world of {world_size}")
    base, extra = divmod(n_items, world_size)
    start = rank * base + min(rank, extra)
    return range(start, start + base + (1 if rank < extra else 0))


def default_state() -> PartialState:
    """The launch's process state; gloo over CPU processes when the machine has no accelerator.

    ``PartialState()`` alone reports a single process on a CPU-only machine even when
    ``accelerate launch`` started several (it only joins CPU ranks when asked with
    ``cpu=True``); with an accelerator present the normal backend (e.g. NCCL) is used.
    """
    return PartialState(cpu=not torch.accelerator.is_available())


def inference_device() -> torch.device:
    """Where the pipeline's saved models run: this process's accelerator (its own GPU under
    ``accelerate launch``), else the CPU; the same process state as the run context and
    attribution sharding, so the first caller cannot set it up differently from the other."""
    return default_state().device


def broadcast(value: T, state: ProcessState) -> T:
    """The main process's ``value`` on every process (a picklable object sent in memory
    over the process group, never written to disk); ``value`` itself with one process."""
    if state.num_processes == 1:
        return value
    from accelerate.utils import broadcast_object_list

    return broadcast_object_list([value], from_process=0)[0]
