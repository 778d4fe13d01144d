"""The ``usdt`` backend: one shared ELF object per provider, verified, loaded, traced.

Each probe's gate is its semaphore, read in place with a ctypes integer: the
kernel raises it while a tracer is attached, so attaching takes effect at the
very next call, with no thread and no polling.
"""

import os

# dlopen as ctypes.CDLL(path, RTLD_LOCAL) does it, without importing ctypes (see _fire).
from _ctypes import RTLD_LOCAL, _SimpleCData, dlopen, dlsym

from ... import _report
from ..._errors import BackendError
from ..._spec import ProbeBinding
from . import _store
from ._elf import BASE_SYMBOL, SharedObject, build_provider_object, describe, host_machine, identity

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any, Callable, Optional

    from ..._spec import ProviderSpec

    _Integer = _SimpleCData[int]
else:
    _Integer = _SimpleCData


class c_ushort(_Integer):  # ctypes.c_uint16 (c_ushort), declared as ctypes declares it (see _fire)
    """An unsigned 16-bit integer in place: a probe's semaphore, true while a tracer is attached.

    Here rather than with the fire functions' types: a probe is looked up (its gate
    made) in every process that runs its call site, and fired only where a tracer
    listens.
    """

    _type_ = "H"


class LoadedProvider:
    """A provider's object file, kept loaded for the life of the process."""

    def __init__(self, spec: "ProviderSpec", path: str, handle: int) -> None:
        self.spec = spec
        self.path = path
        self.handle = handle  # dlopen's handle, never closed


class UsdtBackend:
    name = "usdt"

    def __init__(self, machine: "Optional[str]" = None) -> None:
        found = machine or host_machine()
        if found is None:
            raise BackendError("USDT probes need Linux on x86_64 or aarch64")
        if not os.path.exists("/proc/self/maps"):
            # The objects of processes that left are removed only when /proc shows no process mapping them.
            raise BackendError("USDT probes need /proc mounted (tracers reads which processes map each "
                               "probe object before removing one)")
        self.machine = found
        self.loaded: list[LoadedProvider] = []  # appended to without a lock: a fork() child never waits

    def bind(self, provider: "ProviderSpec", strict: bool) -> "dict[str, ProbeBinding]":
        """Any failure (writing, loading, finding symbols) is a BackendError: the caller warns once."""
        try:
            return self._bind(provider, strict)
        except BackendError:
            raise
        except Exception as problem:
            raise BackendError(f"cannot load the probes of provider {provider.name!r}: {problem!r}") from problem

    def _bind(self, provider: "ProviderSpec", strict: bool) -> "dict[str, ProbeBinding]":
        description = describe(provider)
        name, build_id = identity(provider.name, description, self.machine)
        shared = build_provider_object(provider, self.machine, build_id, description)
        store = _store.object_store()
        held = store.obtain(name, shared.data)
        handle, base, mapped = _load(held.path, shared, (held.device, held.inode))
        if mapped != (held.device, held.inode):  # replaced by another process between check and load
            held = store.adopt(name, shared.data, *mapped)
        store.sweep_once()
        self.loaded.append(LoadedProvider(provider, held.path, handle))
        return _Bindings(provider, shared, base, strict)


class _Bindings(dict):  # type: ignore[type-arg]  # of str -> ProbeBinding
    """Each probe's gate, made when the probe is first looked up, and its fire function,
    made at its first event.

    A provider of ten thousand probes is loaded at once (one object, one
    ``dlopen``), but a process uses few of them, and a tracer listens to
    fewer: the gate of each probe is made on demand, and its generated fire
    function (compiled once per signature, its ctypes function type made
    once too) only when the probe first fires.  The provider's class looks
    each probe up under its own lock.
    """

    def __init__(self, provider: "ProviderSpec", shared: "SharedObject", base: int, strict: bool) -> None:
        super().__init__()
        self._provider = provider
        self._shared = shared
        self._base = base
        self._strict = strict
        self._index = {probe.name: index for index, probe in enumerate(provider.probes)}

    def __missing__(self, name: str) -> "ProbeBinding":
        index = self._index[name]
        probe = self._provider.probes[index]
        gate = c_ushort.from_address(self._base + self._shared.semaphores[index])
        label = f"{self._provider.name}:{probe.name}"
        stub = self._base + self._shared.stubs[index]
        strict = self._strict

        def report(problem: BaseException) -> None:
            _report.fire_failed(label, problem)

        def make() -> "Callable[..., None]":
            fire: Callable[..., None] = (_fire_module or _import_fire_module()).make_fire(probe, stub, strict, report)
            return fire

        binding = self[name] = ProbeBinding(gate, make, True, True)
        return binding


# ``._fire`` (its ctypes types and the fire functions' maker), imported with the first event of
# the process. Kept here after that: a ``from ._fire import`` statement in ``make`` would cost
# each probe's first event more (the import system resolves the relative name).
_fire_module: "Optional[ModuleType]" = None


def _import_fire_module() -> "ModuleType":
    global _fire_module
    from . import _fire

    _fire_module = _fire
    return _fire


def _load(path: str, shared: "SharedObject", expected: tuple[int, int]) -> tuple[int, int, tuple[int, int]]:
    """dlopen the verified file: its handle, its load base, and the (device, inode) mapped.

    No other user can rename anything on the file's path (the runtime
    directory's check), so the path still names a file of this user; the
    caller checks that the mapping is the very file it verified and holds
    (``expected``).  When ``dlopen`` opened the path and the path names that
    file after the load, it named it when ``dlopen`` opened it: the file is
    held open, so its inode is not reused, and tracers never gives a file
    its name back once it lost it (only the user or root could link it there
    again).  ``dlopen`` does not open a path it loaded before in this
    process: it gives the object it loaded then.  For a path tracers loaded
    before, or when the path names another file, or none,
    ``/proc/self/maps`` says which file is mapped.  A ``stat`` of the path
    costs a fraction of reading the mapping's entry in
    ``/proc/self/map_files``, which the kernel looks up for each new mapping.
    """
    opened = path not in _loaded_paths  # else dlopen gives the object loaded then, whatever the path names
    try:
        handle: int = dlopen(path, RTLD_LOCAL)  # never closed
        _loaded_paths.add(path)
        base_symbol: int = dlsym(handle, BASE_SYMBOL)
    except (OSError, ValueError, AttributeError) as problem:
        raise BackendError(f"cannot load the probe object {path}: {problem}") from problem
    mapped: "Optional[tuple[int, int]]" = None
    if opened:
        try:
            named = os.stat(path, follow_symlinks=False)
            mapped = named.st_dev, named.st_ino
        except OSError:
            pass
    if mapped != expected:  # or unknown: the mapping as /proc/self/maps describes it decides
        mapped = _mapping_in_maps(base_symbol)
    if mapped is None:
        raise BackendError(f"cannot find the mapping of {path} in /proc/self/maps")
    return handle, base_symbol - shared.base_symbol, mapped


# The paths this process has loaded (a fork child's included: it keeps its parent's objects).
_loaded_paths: "set[str]" = set()


def _mapping_in_maps(address: int) -> "Optional[tuple[int, int]]":
    """(device, inode) of the file mapped at ``address``, from ``/proc/self/maps``."""
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            low, _, rest = line.partition(b"-")
            high, _, rest = rest.partition(b" ")
            if int(low, 16) <= address < int(high, 16):
                fields = rest.split(None, 4)
                major, minor = fields[2].split(b":")
                return os.makedev(int(major, 16), int(minor, 16)), int(fields[3])
    return None


def create() -> "UsdtBackend":
    return UsdtBackend()


def loaded_objects(backend: "Any") -> list[str]:
    """The object paths a usdt backend has loaded (for tests and tools)."""
    return [item.path for item in backend.loaded]
