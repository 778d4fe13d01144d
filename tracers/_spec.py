"""Plain descriptions of providers and probes, shared by backends and the CLI."""
from ._record import NamedTuple
from ._types import ArgType

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Any, Callable


class ArgSpec(NamedTuple):
    name: str
    type: "ArgType"


class ProbeSpec(NamedTuple):
    name: str
    args: "tuple[ArgSpec, ...]"
    filename: str
    lineno: int

    @property
    def signature(self) -> str:
        """``name(arg: type, ...)`` as shown in docs and listings."""
        inner = ", ".join(f"{a.name}: {a.type.display}" for a in self.args)
        return f"{self.name}({inner})"


class ProviderSpec(NamedTuple):
    name: str  # the provider name tracers see
    qualname: str  # the Python class that declared it
    module: str
    probes: "tuple[ProbeSpec, ...]"


class ProbeBinding(NamedTuple):
    """What a backend gives each probe.

    ``gate``'s truth value says whether anything listens; call sites test it
    before evaluating arguments, so it must be cheap (a bool, or a ctypes
    integer whose truth test runs in C).  ``fire`` takes the probe's raw
    arguments, converts them and emits the event; it may raise on a bad value,
    and the caller turns that into a warning (or an error in strict mode).
    A backend whose ``fire`` already does that itself (to spare a Python
    frame per event) says so with ``reports_errors``.  With ``deferred``,
    ``fire`` is a function of no arguments that makes the fire function, at
    the probe's first event: a probe that nobody traces never pays for it.
    """

    gate: "Any"
    fire: "Callable[..., Any]"
    reports_errors: bool = False
    deferred: bool = False


def provider_to_dict(spec: "ProviderSpec") -> "dict[str, Any]":
    """A JSON-ready description (written beside each USDT object for ``list --pid``)."""
    return {
        "name": spec.name, "qualname": spec.qualname, "module": spec.module,
        "probes": [{"name": p.name, "filename": p.filename, "lineno": p.lineno,
                    "args": [{"name": a.name, "type": a.type._asdict()} for a in p.args]}
                   for p in spec.probes],
    }


def provider_from_dict(data: "dict[str, Any]") -> "ProviderSpec":
    """Rebuild a spec from :func:`provider_to_dict` output."""
    probes = tuple(
        ProbeSpec(p["name"], tuple(ArgSpec(a["name"], ArgType(**a["type"])) for a in p["args"]),
                  p["filename"], p["lineno"])
        for p in data["probes"]
    )
    return ProviderSpec(data["name"], data["qualname"], data["module"], probes)
