"""The in-memory backend: every probe is always enabled and every event is kept.

Meant for users' own tests::

    TRACERS=record pytest

    from tracers.runtime import record
    record.clear()
    do_work()
    assert record.events() == [record.Event("net", "request", ("GET", 200, 512))]
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

from .._spec import ProviderSpec
from ._backend import ProbeBinding
from ._convert import normaliser


class Event(NamedTuple):
    """One fired probe, with its arguments as converted for the tracer."""

    provider: str
    probe: str
    args: tuple[Any, ...]


_events: list[Event] = []
_lock = threading.Lock()


def events() -> list[Event]:
    """A copy of every event recorded so far, in firing order."""
    with _lock:
        return list(_events)


def clear() -> None:
    """Forget every recorded event."""
    with _lock:
        _events.clear()


_captures: list[list[Event]] = []


@contextmanager
def capture() -> Iterator[list[Event]]:
    """Collect the events fired inside the block into the yielded list."""
    caught: list[Event] = []
    with _lock:
        _captures.append(caught)
    try:
        yield caught
    finally:
        with _lock:
            _captures.remove(caught)


class RecordBackend:
    name = "record"

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        return {p.name: ProbeBinding(True, self._firer(provider.name, p.name, normaliser(p, strict)))
                for p in provider.probes}

    @staticmethod
    def _firer(provider: str, probe: str, normalise: Any) -> Any:
        def fire(*args: Any) -> None:
            event = Event(provider, probe, normalise(args))
            with _lock:
                _events.append(event)
                for caught in _captures:
                    caught.append(event)
        return fire


def create() -> RecordBackend:
    return RecordBackend()
