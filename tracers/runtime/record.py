"""The in-memory backend: every probe is always enabled and its events are kept.

Meant for users' own tests (``pytest --tracers=record`` with the plugin, or
``TRACERS=record``)::

    from tracers.runtime import record
    record.clear()
    do_work()
    assert record.events() == [record.Event("net", "request", ("GET", 200, 512))]

Memory is bounded: the last :func:`limit` events are kept (100,000 unless
``TRACERS_RECORD_LIMIT`` or :func:`set_limit` says otherwise); older ones are
dropped and counted by :func:`dropped`.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from contextlib import contextmanager
from typing import Any, Iterator, List, NamedTuple

from .. import _config
from .._errors import ConfigError
from .._spec import ProviderSpec
from ._backend import ProbeBinding
from ._convert import normaliser

DEFAULT_LIMIT = 100_000
ENV_LIMIT = "TRACERS_RECORD_LIMIT"


class Event(NamedTuple):
    """One fired probe, with its arguments as converted for the tracer."""

    provider: str
    probe: str
    args: tuple[Any, ...]


class Captured(List[Event]):  # a list of Event, so that it compares with lists
    """The events of one :func:`capture` block; ``dropped`` counts those the limit pushed out."""

    dropped = 0


def _limit_from_env() -> int:
    value = os.environ.get(ENV_LIMIT, "").strip()
    if not value:
        return DEFAULT_LIMIT
    try:
        return _checked_limit(int(value.replace("_", "")))
    except ValueError:
        raise ConfigError(f"{ENV_LIMIT}={value!r} is not valid; use a whole number of events "
                          f"of at least 1 (default {DEFAULT_LIMIT})") from None


def _checked_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"the record limit must be a whole number of events of at least 1, not {limit!r}")
    return limit


# Reentrant: a probe fired from a signal handler runs in the thread that the
# signal interrupted, which may be inside this lock already.
_lock = threading.RLock()
_events: deque[Event] = deque(maxlen=_limit_from_env())
_dropped = 0
_captures: list[Captured] = []
_arg_names: dict[tuple[str, str], tuple[str, ...]] = {}


def _require_record_mode(what: str) -> None:
    mode = _config.current()
    if mode.backend == "record":
        return
    now = f"tracing is on with the {mode.backend!r} backend" if mode.enabled else "tracing is off"
    raise ConfigError(
        f"tracers: {what} needs the record mode, but {now}: run pytest with --tracers=record "
        f"(or 'tracers = record' in pytest's ini options) and use the tracers_events fixture, "
        f"or set TRACERS=record in the environment before Python starts"
    )


def events() -> list[Event]:
    """A copy of the events recorded so far (the last :func:`limit`), in firing order."""
    _require_record_mode("record.events()")
    with _lock:
        return list(_events)


def clear() -> None:
    """Forget every recorded event and reset the :func:`dropped` count."""
    global _dropped
    with _lock:
        _events.clear()
        _dropped = 0


def dropped() -> int:
    """How many events were pushed out by the limit since the last :func:`clear`."""
    return _dropped


def limit() -> int:
    """How many events are kept at most (and in each :func:`capture`)."""
    return _events.maxlen or DEFAULT_LIMIT


def set_limit(count: int) -> None:
    """Keep at most ``count`` events from now on; the oldest go first if there are more."""
    global _events, _dropped
    count = _checked_limit(count)
    with _lock:
        _dropped += max(0, len(_events) - count)
        _events = deque(_events, maxlen=count)
        for caught in _captures:
            _trim(caught, count)


def arg_names(provider: str, probe: str) -> tuple[str, ...]:
    """The argument names of a probe bound to this backend (empty if unknown)."""
    return _arg_names.get((provider, probe), ())


@contextmanager
def capture() -> Iterator[Captured]:
    """Collect the events fired inside the block into the yielded list.

    It keeps the last :func:`limit` events of the block (while the block runs,
    up to an eighth more: the oldest are dropped in batches, counted in
    ``dropped``).
    """
    _require_record_mode("record.capture()")
    caught = Captured()
    with _lock:
        _captures.append(caught)
    try:
        yield caught
    finally:
        with _lock:
            _captures.remove(caught)
            _trim(caught, limit())


def _trim(caught: Captured, keep: int) -> None:
    excess = len(caught) - keep
    if excess > 0:
        del caught[:excess]
        caught.dropped += excess


class RecordBackend:
    name = "record"

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        for p in provider.probes:
            _arg_names[(provider.name, p.name)] = tuple(a.name for a in p.args)
        return {p.name: ProbeBinding(True, self._firer(provider.name, p.name, normaliser(p, strict)))
                for p in provider.probes}

    @staticmethod
    def _firer(provider: str, probe: str, normalise: Any) -> Any:
        def fire(*args: Any) -> None:
            global _dropped
            event = Event(provider, probe, normalise(args))
            with _lock:
                kept = _events
                if len(kept) == kept.maxlen:
                    _dropped += 1
                kept.append(event)
                if _captures:
                    keep = kept.maxlen or DEFAULT_LIMIT
                    for caught in _captures:
                        caught.append(event)
                        if len(caught) > keep + keep // 8:  # trimmed in batches: O(1) per event
                            _trim(caught, keep)
        return fire


def create() -> RecordBackend:
    return RecordBackend()
