"""Plain descriptions of providers and probes, shared by backends and the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._types import ArgType


@dataclass(frozen=True)
class ArgSpec:
    name: str
    type: ArgType


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    args: tuple[ArgSpec, ...]
    filename: str
    lineno: int

    @property
    def signature(self) -> str:
        """``name(arg: type, ...)`` as shown in docs and listings."""
        inner = ", ".join(f"{a.name}: {a.type.display}" for a in self.args)
        return f"{self.name}({inner})"


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # the provider name tracers see
    qualname: str  # the Python class that declared it
    module: str
    probes: tuple[ProbeSpec, ...]


def provider_from_dict(data: dict[str, Any]) -> ProviderSpec:
    """Rebuild a spec from ``dataclasses.asdict`` output (the JSON beside a USDT object)."""
    probes = tuple(
        ProbeSpec(p["name"], tuple(ArgSpec(a["name"], ArgType(**a["type"])) for a in p["args"]),
                  p["filename"], p["lineno"])
        for p in data["probes"]
    )
    return ProviderSpec(data["name"], data["qualname"], data["module"], probes)
