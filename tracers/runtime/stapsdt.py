"""The ``stapsdt`` backend: USDT probes through libstapsdt and its Python binding.

For users who already deploy libstapsdt. ``TRACERS=auto`` never picks it:
the built-in ``usdt`` backend needs no C library. Install with
``pip install tracers[stapsdt]`` after installing libstapsdt itself.

Strings are passed as UTF-8 pointers, bytes are decoded as UTF-8 (invalid
sequences replaced) and ``None`` is passed as 0. The gate asks the binding's
``is_enabled``, a Python-level call: idle call sites cost more than with
``usdt``, whose gate is the semaphore itself.
"""
from __future__ import annotations

from typing import Any

from .._errors import BackendError
from .._spec import ProbeSpec, ProviderSpec
from .._types import ArgType
from ._backend import ProbeBinding
from ._convert import normaliser

INSTALL = ("install libstapsdt (https://github.com/linux-usdt/libstapsdt: build it, or your distribution's "
           "libstapsdt0 package) and then 'pip install tracers[stapsdt]'")


def _import_binding() -> Any:
    try:
        import stapsdt
    except (ImportError, OSError) as problem:
        raise BackendError(f"the stapsdt backend needs the stapsdt package and libstapsdt: {INSTALL} "
                           f"({problem})") from problem
    return stapsdt


class _EnabledGate:
    """Truth value of a libstapsdt probe: whether a tracer is attached."""

    __slots__ = ("_probe",)

    def __init__(self, probe: Any) -> None:
        self._probe = probe

    def __bool__(self) -> bool:
        return bool(self._probe.is_enabled)


def _arg_code(binding: Any, arg: ArgType) -> Any:
    types = binding.ArgTypes
    if arg.is_pointer:
        return types.uint64
    size = 1 if arg.kind == "bool" else arg.size
    prefix = "int" if arg.signed else "uint"
    return getattr(types, f"{prefix}{size * 8}")


def _wire(value: Any) -> Any:
    if value is None:
        return 0
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return int(value) if isinstance(value, bool) else value


class StapsdtBackend:
    name = "stapsdt"

    def __init__(self) -> None:
        self._binding = _import_binding()
        self._providers: list[Any] = []  # loaded providers must outlive their probes

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        native = self._binding.Provider(provider.name)
        probes = {p.name: native.add_probe(p.name, *(_arg_code(self._binding, a.type) for a in p.args))
                  for p in provider.probes}
        # The binding's load() returns the C status as a bool (True means failure).
        if self._binding.providerLoad(native._provider) != 0:
            raise BackendError(f"libstapsdt could not load provider {provider.name!r}")
        self._providers.append(native)
        return {spec.name: ProbeBinding(_EnabledGate(probes[spec.name]), _firer(spec, probes[spec.name], strict))
                for spec in provider.probes}


def _firer(spec: ProbeSpec, native: Any, strict: bool) -> Any:
    normalise = normaliser(spec, strict)

    def fire(*args: Any) -> None:
        native.fire(*(_wire(v) for v in normalise(args)))

    return fire


def create() -> StapsdtBackend:
    return StapsdtBackend()
