"""Turning Hub download failures into one actionable sentence.

transformers re-raises most huggingface_hub failures as a bare ``OSError`` with a
multi-line message; the real reason (offline, no such repository, gated, ...) is on the
exception chain. We walk the chain and say what happened and what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from huggingface_hub.errors import (
    GatedRepoError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tokendistill.errors import ModelSpecError

_UNREACHABLE_HINTS = ("couldn't connect", "could not connect", "offline mode", "connection", "timed out")


@contextmanager
def hub_errors(name: str) -> Iterator[None]:
    """Re-raise Hub failures while fetching ``name`` as a one-sentence ModelSpecError."""
    try:
        yield
    except OSError as err:
        raise ModelSpecError(describe_hub_error(name, err)) from err


def describe_hub_error(name: str, err: BaseException) -> str:
    """One sentence saying why ``name`` could not be fetched from the Hub."""
    chain = list(_chain(err))
    if any(isinstance(e, GatedRepoError) for e in chain):
        return f"'{name}' is a gated Hugging Face Hub model; accept its terms on the Hub and log in first."
    if any(isinstance(e, RepositoryNotFoundError) for e in chain):
        return f"'{name}' is not a model on the Hugging Face Hub (or it is private); check the name."
    if any(isinstance(e, RevisionNotFoundError) for e in chain):
        return f"the requested revision of '{name}' does not exist on the Hugging Face Hub."
    if any(isinstance(e, RemoteEntryNotFoundError) for e in chain):
        return (
            f"the Hugging Face Hub repository '{name}' lacks a file transformers needs to load it as a model."
        )
    unreachable = any(
        isinstance(e, LocalEntryNotFoundError | OfflineModeIsEnabled | ConnectionError | TimeoutError)
        or any(hint in str(e).lower() for hint in _UNREACHABLE_HINTS)
        for e in chain
    )
    if unreachable:
        return (
            f"could not reach the Hugging Face Hub to download {name}; "
            "check the network or pass a local folder."
        )
    return f"could not load '{name}' from the Hugging Face Hub ({first_line(err)})."


def first_line(err: BaseException) -> str:
    """The first non-empty line of an exception message, without a trailing full stop."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__).rstrip(".")


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
