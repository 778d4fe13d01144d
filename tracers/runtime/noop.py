"""The backend that never fires: the fallback on unsupported platforms."""
from __future__ import annotations

from typing import Any

from .._spec import ProviderSpec
from ._backend import ProbeBinding


def _ignore(*args: Any) -> None:
    """Fire nothing."""


class NoopBackend:
    name = "noop"

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        return {p.name: ProbeBinding(False, _ignore) for p in provider.probes}


def create() -> NoopBackend:
    return NoopBackend()
