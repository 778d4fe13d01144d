"""The backend that never fires: the fallback on unsupported platforms."""

from .._spec import ProbeBinding, ProviderSpec

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any


def _ignore(*args: "Any") -> None:
    """Fire nothing."""


class NoopBackend:
    name = "noop"

    def bind(self, provider: "ProviderSpec", strict: bool) -> "dict[str, ProbeBinding]":
        return {p.name: ProbeBinding(False, _ignore) for p in provider.probes}


def create() -> "NoopBackend":
    return NoopBackend()
