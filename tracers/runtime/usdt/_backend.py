"""The ``usdt`` backend: one shared ELF object per provider, verified, loaded, traced.

Each probe's gate is its semaphore, read in place with a ctypes integer: the
kernel raises it while a tracer is attached, so attaching takes effect at the
very next call, with no thread and no polling.
"""
from __future__ import annotations

import ctypes
import gc
import os
import threading
from contextlib import contextmanager
from functools import partial
from typing import Any, Iterator, Optional

from ... import _report
from ..._errors import BackendError
from ..._spec import ProviderSpec
from .._backend import ProbeBinding
from . import _store
from ._describe import describe, identity, probe_def
from ._elf import BASE_SYMBOL, SharedObject, build_shared_object, host_machine
from ._fire import make_fire, stub_prototype


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
        self.loaded: list[LoadedProvider] = []  # appended to without a lock: a fork() child never waits

    def bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        """Any failure (writing, loading, finding symbols) is a BackendError: the caller warns once."""
        try:
            return self._bind(provider, strict)
        except BackendError:
            raise
        except Exception as problem:
            raise BackendError(f"cannot load the probes of provider {provider.name!r}: {problem!r}") from problem

    def _bind(self, provider: ProviderSpec, strict: bool) -> dict[str, ProbeBinding]:
        description = describe(provider)
        name, build_id = identity(provider.name, description, self.machine)
        shared = build_shared_object(provider.name, [probe_def(p) for p in provider.probes], self.machine,
                                     build_id, description)
        store = _store.object_store()
        held = store.obtain(name, shared.data)
        library, base, mapped = _load(held.path, shared)
        if mapped != (held.device, held.inode):  # replaced by another process between check and load
            held = store.adopt(name, shared.data, *mapped)
        store.sweep_once()
        self.loaded.append(LoadedProvider(provider, held.path, library))
        with _collector_paused():  # thousands of new objects, none of them garbage
            bindings = {}
            for probe, stub_at, semaphore_at in zip(provider.probes, shared.stubs, shared.semaphores):
                stub = stub_prototype(probe)(base + stub_at)
                gate = ctypes.c_uint16.from_address(base + semaphore_at)
                report = partial(_report.fire_failed, f"{provider.name}:{probe.name}")
                bindings[probe.name] = ProbeBinding(gate, make_fire(probe, stub, strict, report), reports_errors=True)
        return bindings


def _load(path: str, shared: SharedObject) -> tuple[ctypes.CDLL, int, tuple[int, int]]:
    """dlopen the verified file: the library, its load base, and the (device, inode) mapped.

    No other user can rename anything on the file's path (the runtime
    directory's check), so the path still names a file of this user; the
    caller checks that the mapping is the very file it verified and holds.
    """
    try:
        library = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
        base_symbol = ctypes.addressof(ctypes.c_char.in_dll(library, BASE_SYMBOL))
    except (OSError, ValueError, AttributeError) as problem:
        raise BackendError(f"cannot load the probe object {path}: {problem}") from problem
    mapped = _mapping_of(base_symbol)
    if mapped is None:
        raise BackendError(f"cannot find the mapping of {path} in /proc/self/maps")
    return library, base_symbol - shared.base_symbol, mapped


def _mapping_of(address: int) -> Optional[tuple[int, int]]:
    """(device, inode) of the file mapped at ``address`` in this process."""
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            low, _, rest = line.partition(b"-")
            high, _, rest = rest.partition(b" ")
            if int(low, 16) <= address < int(high, 16):
                fields = rest.split(None, 4)
                major, minor = fields[2].split(b":")
                return os.makedev(int(major, 16), int(minor, 16)), int(fields[3])
    return None


_pauses = 0  # threads inside _collector_paused
_pauses_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, which otherwise runs dozens of
    times while a large provider's probes are created."""
    global _pauses
    with _pauses_lock:
        _pauses += 1
        if _pauses == 1:
            gc.disable()
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0:
                gc.enable()


def _resume_collector_in_child() -> None:
    """A fork() child of a thread that was pausing the collector gets it back."""
    global _pauses, _pauses_lock
    _pauses_lock = threading.Lock()
    if _pauses:
        _pauses = 0
        gc.enable()


os.register_at_fork(after_in_child=_resume_collector_in_child)


def create() -> UsdtBackend:
    return UsdtBackend()


def loaded_objects(backend: Any) -> list[str]:
    """The object paths a usdt backend has loaded (for tests and tools)."""
    return [item.path for item in backend.loaded]
