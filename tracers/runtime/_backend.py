"""The small interface every backend implements."""
from __future__ import annotations

from typing import Mapping, Protocol

from .._spec import ProbeBinding, ProviderSpec

__all__ = ["Backend", "ProbeBinding"]


class Backend(Protocol):
    name: str

    def bind(self, provider: ProviderSpec, strict: bool) -> Mapping[str, ProbeBinding]:
        """Create the provider's probes; raise :class:`~tracers.BackendError` if impossible."""
        ...
