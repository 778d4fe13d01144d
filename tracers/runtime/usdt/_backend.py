"""The ``usdt`` backend: one ELF object per provider, written, loaded, traced.

Each probe's gate is its semaphore, read in place with a ctypes integer: the
kernel raises it while a tracer is attached, so attaching takes effect at the
very next call, with no thread and no polling.
"""
from __future__ import annotations

import ctypes
import gc
import json
import threading
from contextlib import contextmanager
from functools import partial
from typing import Any, Iterator, Optional

from ... import _report
from ..._errors import BackendError
from ..._spec import ProviderSpec, provider_to_dict
from .._backend import ProbeBinding
from . import _rundir
from ._elf import ArgSlot, ProbeDef, build_shared_object, host_machine
from ._fire import make_fire


class LoadedProvider:
    """A provider's object file, kept loaded for the life of the process."""

    def __init__(self, spec: ProviderSpec, path: str, library: ctypes.CDLL) -> None:
        self.spec = spec
        self.path = path
        self.library = library


class UsdtBackend:
    name = "usdt"

    def __init__(self, machine: Optional[str] = None) -> None:
        found = machine or host_machine()
        if found is None:
            raise BackendError("USDT probes need Linux on x86_64 or aarch64")
        self.machine = found
        self.loaded: list[LoadedProvider] = []
        self._lock = threading.Lock()

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        shared = build_shared_object(provider.name, [_probe_def(p) for p in provider.probes], self.machine)
        files = _rundir.object_files()
        stem = files.new_stem(provider.name)
        path = files.write(stem + ".so", shared.data)
        files.write(stem + ".json", describe(provider, path))
        try:
            library = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
        except OSError as problem:
            raise BackendError(f"cannot load the probe object {path}: {problem}") from problem
        with self._lock:
            self.loaded.append(LoadedProvider(provider, path, library))
        with _collector_paused():  # thousands of new objects, none of them garbage
            bindings = {}
            for probe in provider.probes:
                stub = getattr(library, shared.function_symbols[probe.name])
                gate = ctypes.c_uint16.in_dll(library, shared.semaphore_symbols[probe.name])
                report = partial(_report.fire_failed, f"{provider.name}:{probe.name}")
                bindings[probe.name] = ProbeBinding(gate, make_fire(probe, stub, strict, report), reports_errors=True)
        return bindings


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, which otherwise runs dozens of
    times while a large provider's probes are created."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _probe_def(probe: Any) -> ProbeDef:
    return ProbeDef(probe.name, tuple(ArgSlot(a.type.size, a.type.signed) for a in probe.args))


def describe(provider: ProviderSpec, path: str) -> bytes:
    """The JSON written beside the object, read by ``python -m tracers list --pid``."""
    return json.dumps({"object": path, "provider": provider_to_dict(provider)}, separators=(",", ":")).encode()


def create() -> UsdtBackend:
    return UsdtBackend()
