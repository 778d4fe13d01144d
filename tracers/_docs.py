"""Text that tells a user how to trace a provider: ``help(Provider)`` and ``tracers list``.

Commands name the provider's object by path: the same provider gives the
same file for every process of a user, so one command traces all of them,
those started later included, and keeps working across restarts.
"""
from __future__ import annotations

import os
import shlex
from typing import Any, Optional

from ._spec import ArgSpec, ProbeSpec, ProviderSpec

BPFTRACE_MAX_ARGS = 6  # bpftrace 0.17 reads arg0..arg5 only


def arg_slots(probe: ProbeSpec) -> list[tuple[ArgSpec, int]]:
    """Each argument with the index of its first USDT argument (``bytes`` take two: address, length)."""
    found, index = [], 0
    for arg in probe.args:
        found.append((arg, index))
        index += 2 if arg.type.kind == "bytes" else 1
    return found


def slot_count(probe: ProbeSpec) -> int:
    """How many USDT arguments the probe has."""
    return sum(2 if arg.type.kind == "bytes" else 1 for arg in probe.args)


def _bpftrace_value(arg: ArgSpec, index: int) -> tuple[str, str]:
    """The printf conversion and expression that show one argument."""
    kind, size = arg.type.kind, arg.type.size
    if kind == "str":
        return "%s", f"str(arg{index})"
    if kind == "bytes":
        return "%r", f"buf(arg{index}, arg{index + 1})"
    if kind == "bool":
        return "%d", f"arg{index}"
    wide = "l" if size == 8 else ""  # bpftrace's %d and %u print 32 bits
    return f"%{wide}{'d' if arg.type.signed else 'u'}", f"arg{index}"


def unreadable_args(probe: ProbeSpec) -> list[str]:
    """Arguments that lie past what bpftrace reads."""
    return [arg.name for arg, index in arg_slots(probe)
            if index + (2 if arg.type.kind == "bytes" else 1) > BPFTRACE_MAX_ARGS]


def bpftrace_program(provider: str, probe: ProbeSpec, path: str = "*") -> str:
    """A bpftrace program that prints every firing of ``probe`` with the arguments bpftrace can read."""
    skipped = set(unreadable_args(probe))
    parts, values = [probe.name], []
    for arg, index in arg_slots(probe):
        if arg.name not in skipped:
            conversion, value = _bpftrace_value(arg, index)
            parts.append(f"{arg.name}={conversion}")
            values.append(value)
    call = ", ".join([f'"{" ".join(parts)}\\n"'] + values)
    return f"usdt:{path}:{provider}:{probe.name} {{ printf({call}); }}"


def probe_commands(provider: str, probe: ProbeSpec, path: Optional[str]) -> list[str]:
    """Ready-made command lines for one probe: bpftrace by the object's path, which traces
    every process that maps it (add ``-p PID`` for one), or by ``-p`` where no path is known."""
    if path:
        lines = [f"bpftrace -e {shlex.quote(bpftrace_program(provider, probe, path))}"]
    else:
        lines = [f"bpftrace -p PID -e {shlex.quote(bpftrace_program(provider, probe, '*'))}"]
    skipped = unreadable_args(probe)
    if skipped:
        lines.append(f"({', '.join(skipped)}: past arg{BPFTRACE_MAX_ARGS - 1}, which bpftrace cannot read; "
                     f"gdb reads them: gdb -p PID -ex 'break -probe-stap {provider}:{probe.name}' "
                     f"-ex continue -ex 'print $_probe_argN')")
    return lines


def perf_commands(provider: str, path: str) -> list[str]:
    """perf reads the same probes through the object's build-id."""
    quoted = shlex.quote(path)
    return [f"perf buildid-cache --add {quoted}",
            f"perf probe -x {quoted} -a 'sdt_{provider}:*'",
            f"perf record -e 'sdt_{provider}:*' -a",
            f"perf probe -d 'sdt_{provider}:*'"]


def expected_object_path(spec: ProviderSpec) -> Optional[str]:
    """The object this user's processes load for ``spec`` with the usdt backend
    (in this environment's runtime directory), or None where USDT is unsupported."""
    from .runtime.usdt._elf import describe, identity
    from .runtime.usdt._elf import host_machine
    from .runtime.usdt._store import runtime_dir

    machine = host_machine()
    if machine is None:
        return None
    name = identity(spec.name, describe(spec), machine).file_name
    return os.path.join(os.path.realpath(runtime_dir()), name)


def provider_text(spec: ProviderSpec, user_doc: Optional[str], path: Optional[str]) -> str:
    """The class docstring: the user's text, then each probe and how to trace it."""
    lines = [user_doc.strip(), ""] if user_doc else []
    lines.append(f"Probes of provider {spec.name!r}:")
    for probe in spec.probes:
        lines += ["", f"    {probe.signature}", ""]
        lines += [f"        {line}" for line in probe_commands(spec.name, probe, path)]
    lines.append("")
    if path:
        lines += [f"With TRACERS=usdt every process of this user that defines provider {spec.name!r}",
                  f"maps one object, {path}: the bpftrace lines above",
                  "trace all of them, those started later too (add -p PID for one process).",
                  "perf reads the same probes:"]
        lines += [f"    {line}" for line in perf_commands(spec.name, path)]
    lines.append("Fire one with probe(Provider.probe_name(args...)).")
    return "\n".join(lines)


class ProviderDoc:
    """A provider class's ``__doc__``, written when first read (``help()``), not at import.

    ``type.__doc__`` calls ``__get__`` of a descriptor stored as ``__doc__``.
    """

    def __init__(self, spec: ProviderSpec, user_doc: Optional[str]) -> None:
        self._spec = spec
        self._user_doc = user_doc
        self._text: Optional[str] = None

    def __get__(self, instance: Any, owner: Any = None) -> str:
        if self._text is None:
            try:
                path = expected_object_path(self._spec)
            except Exception:  # documentation never fails
                path = None
            self._text = provider_text(self._spec, self._user_doc, path)
        return self._text


def provider_doc(spec: ProviderSpec, user_doc: Optional[str]) -> ProviderDoc:
    return ProviderDoc(spec, user_doc)
