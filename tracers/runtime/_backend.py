"""The small interface every backend implements."""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Protocol

from .._spec import ProviderSpec


class ProbeBinding(NamedTuple):
    """What a backend gives each probe.

    ``gate``'s truth value says whether anything listens; call sites test it
    before evaluating arguments, so it must be cheap (a bool, or a ctypes
    integer whose truth test runs in C).  ``fire`` takes the probe's raw
    arguments, converts them and emits the event; it may raise on a bad value,
    and the caller turns that into a warning (or an error in strict mode).
    """

    gate: Any
    fire: Callable[..., None]


class Backend(Protocol):
    name: str

    def bind(self, provider: ProviderSpec, strict: bool) -> Mapping[str, ProbeBinding]:
        """Create the provider's probes; raise :class:`~tracers.BackendError` if impossible."""
        ...
