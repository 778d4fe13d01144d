"""Backends, chosen once per process from the mode.

Backends are imported lazily, by name, so that a process with tracing off
never loads one and a process with tracing on loads only the one it uses.
"""
from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Mapping

from .. import _report
from .._config import Mode
from .._errors import BackendError
from .._spec import ProviderSpec
from ._backend import Backend, ProbeBinding

_MODULES = {
    "noop": "tracers.runtime.noop",
    "record": "tracers.runtime.record",
    "usdt": "tracers.runtime.usdt",
    "lttng": "tracers.runtime.lttng",
    "stapsdt": "tracers.runtime.stapsdt",
}
USDT_MACHINES = ("x86_64", "aarch64")

_backends: dict[str, Backend] = {}
_failed: set[str] = set()
_lock = threading.RLock()


def _new_lock_in_child() -> None:
    """A fork() child gets a fresh lock: another thread may have held this one at the fork."""
    global _lock
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def choose_auto() -> tuple[str, str]:
    """The backend ``TRACERS=auto`` uses here, and why."""
    import platform  # costly to import; only needed here
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if sys.platform.startswith("linux") and machine in USDT_MACHINES:
        return "usdt", f"Linux on {machine}: USDT probes that bpftrace, bcc and gdb can attach to"
    return "noop", f"no USDT support for {sys.platform} on {machine}: probes are compiled in but never fire"


def resolve(requested: str) -> str:
    """Turn ``auto`` into a concrete backend name."""
    return choose_auto()[0] if requested == "auto" else requested


def backend(name: str) -> Backend:
    """The process-wide instance of backend ``name`` (created on first use)."""
    with _lock:
        found = _backends.get(name)
        if found is None:
            module = importlib.import_module(_MODULES[name])
            found = _backends[name] = module.create()
        return found


def bind_provider(provider: ProviderSpec, mode: Mode) -> Mapping[str, ProbeBinding]:
    """Bind every probe of ``provider`` with the mode's backend.

    A backend that cannot work here (missing library or agent, unwritable
    runtime directory, refused dlopen) costs one warning, and its probes are
    bound to ``noop``: tracing never stops the program.
    """
    assert mode.backend is not None
    name = resolve(mode.backend)
    try:
        return backend(name).bind(provider, mode.strict)
    except (BackendError, ImportError, OSError) as problem:
        with _lock:
            first = name not in _failed
            _failed.add(name)
        if first:
            _report.warn(f"tracers: backend {name!r} unavailable, probes will not fire: {problem}")
        return backend("noop").bind(provider, mode.strict)

