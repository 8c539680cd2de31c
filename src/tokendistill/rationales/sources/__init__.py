"""Rationale sources behind one registry: ``attribution``, ``random``, ``llm``, ``generate``,
``gold``, ``oracle``.

A new source is one module (a ``RationaleSource`` subclass) plus one ``register_source``
call; config validation, the CLI and the tests read ``list_sources()``. ``random`` here is k
random *words* per example; the attribution method of the same name is a random *score*
control (``tokendistill sources`` and ``tokendistill methods`` say which is which).
"""

from __future__ import annotations

from tokendistill.rationales.sources.attribution import AttributionSource
from tokendistill.rationales.sources.base import CacheFn, RationaleSource, RecordsFn, SourceRequest
from tokendistill.rationales.sources.generate import GenerateSource
from tokendistill.rationales.sources.gold import GoldSource
from tokendistill.rationales.sources.llm import LLMSource
from tokendistill.rationales.sources.oracle import OracleSource
from tokendistill.rationales.sources.random_k import RandomSource
from tokendistill.registry import Registry

_SOURCES: Registry[RationaleSource] = Registry("rationale source")
register_source = _SOURCES.register
unregister_source = _SOURCES.unregister
get_source = _SOURCES.get
list_sources = _SOURCES.names

for _source in (
    AttributionSource(),
    RandomSource(),
    LLMSource(),
    GenerateSource(),
    GoldSource(),
    OracleSource(),
):
    register_source(_source)

__all__ = [
    "CacheFn",
    "RationaleSource",
    "RecordsFn",
    "SourceRequest",
    "get_source",
    "list_sources",
    "register_source",
    "unregister_source",
]
