"""Backends, chosen once per process from the mode.

Backends are imported lazily, by name, so that a process with tracing off
never loads one and a process with tracing on loads only the one it uses.
"""

import os
import sys
from _thread import RLock

from .. import _report
from .._errors import BackendError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from typing import Mapping, Optional

    from .._config import Mode
    from .._spec import ProbeBinding, ProviderSpec
    from ._backend import Backend

_MODULES = {
    "noop": "tracers.runtime.noop",
    "record": "tracers.runtime.record",
    "usdt": "tracers.runtime.usdt",
    "lttng": "tracers.runtime.lttng",
    "stapsdt": "tracers.runtime.stapsdt",
}
USDT_MACHINES = ("x86_64", "aarch64")

_backends: "dict[str, Backend]" = {}
_failed: set[str] = set()
_lock = RLock()


def _new_lock_in_child() -> None:
    """A fork() child gets a fresh lock: another thread may have held this one at the fork."""
    global _lock
    _lock = RLock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def _machine() -> tuple[str, str]:
    """The machine as the platform names it, and as tracers does (``arm64``, ``aarch64``).

    ``os.uname()`` rather than ``platform``, whose import costs milliseconds.
    """
    if hasattr(os, "uname"):
        machine = os.uname().machine
    else:  # Windows
        import platform
        machine = platform.machine()
    lowered = machine.lower()
    return machine, {"amd64": "x86_64", "arm64": "aarch64"}.get(lowered, lowered)


def usdt_unsupported() -> "Optional[str]":
    """Why USDT probes cannot work here (``"darwin on arm64"``), or None when they can."""
    machine, known_as = _machine()
    if sys.platform.startswith("linux") and known_as in USDT_MACHINES:
        if sys.maxsize > 2**32 and sys.byteorder == "little":
            return None
        return f"a 32-bit or big-endian Python on {machine}"
    return f"{sys.platform} on {machine}"


def choose_auto() -> tuple[str, str]:
    """The backend ``TRACERS=auto`` uses here, and why."""
    missing = usdt_unsupported()
    if missing is None:
        return "usdt", f"Linux on {_machine()[1]}: USDT probes that bpftrace, bcc and gdb can attach to"
    return "noop", f"no USDT support for {missing}: probes are compiled in but never fire"


def backend_note(requested: str) -> str:
    """What a backend asked for by name becomes here: nothing to say, or its fallback to noop."""
    missing = usdt_unsupported() if requested == "usdt" else None
    return f", falling back to noop: no USDT support for {missing}" if missing else ""


def resolve(requested: str) -> str:
    """Turn ``auto`` into a concrete backend name."""
    return choose_auto()[0] if requested == "auto" else requested


def backend(name: str) -> "Backend":
    """The process-wide instance of backend ``name`` (created on first use)."""
    with _lock:
        found = _backends.get(name)
        if found is None:
            module = __import__(_MODULES[name], fromlist=["create"])
            found = _backends[name] = module.create()
        return found


def bind_provider(provider: "ProviderSpec", mode: "Mode") -> "Mapping[str, ProbeBinding]":
    """Bind every probe of ``provider`` with the mode's backend.

    A backend that cannot work here (a platform without USDT, missing library
    or agent, unwritable runtime directory, refused dlopen) costs one warning,
    and its probes are bound to ``noop``: tracing never stops the program.
    """
    assert mode.backend is not None
    name = resolve(mode.backend)
    try:
        if name == "usdt" and name not in _backends:  # checked once, before the backend is made
            missing = usdt_unsupported()
            if missing is not None:  # do not even load it: it would write ELF files here
                raise BackendError(f"no USDT support for {missing} (USDT needs Linux on x86_64 or aarch64)")
        return backend(name).bind(provider, mode.strict)
    except (BackendError, ImportError, OSError) as problem:
        with _lock:
            first = name not in _failed
            _failed.add(name)
        if first:
            _report.warn(f"tracers: backend {name!r} unavailable, probes will not fire: {problem}")
        return backend("noop").bind(provider, mode.strict)

