"""Text that tells a user how to trace a provider: ``help(Provider)`` and ``list``."""
from __future__ import annotations

from typing import Optional

from ._spec import ProbeSpec, ProviderSpec

BPFTRACE_MAX_ARGS = 6  # bpftrace reads arg0..arg5 only


def bpftrace_format(probe: ProbeSpec) -> tuple[str, list[str]]:
    """The printf format and expressions that print a probe's arguments."""
    parts, values = [], []
    for index, arg in enumerate(probe.args[:BPFTRACE_MAX_ARGS]):
        kind = arg.type.kind
        if kind in ("str", "bytes"):
            parts.append(f"{arg.name}=%s")
            values.append(f"str(arg{index})")
        else:
            wide = "l" if arg.type.size == 8 else ""  # bpftrace's %d and %u print 32 bits
            parts.append(f"{arg.name}=%{wide}{'d' if arg.type.signed or kind == 'bool' else 'u'}")
            values.append(f"arg{index}")
    return " ".join([probe.name] + parts), values


def bpftrace_program(provider: str, probe: ProbeSpec, path: str = "*") -> str:
    """A bpftrace program that prints every firing of ``probe`` with its arguments."""
    text, values = bpftrace_format(probe)
    call = ", ".join([f'"{text}\\n"'] + values)
    return f"usdt:{path}:{provider}:{probe.name} {{ printf({call}); }}"


def provider_doc(spec: ProviderSpec, user_doc: Optional[str]) -> str:
    """The class docstring: the user's text, then each probe and how to trace it."""
    lines = [user_doc.strip(), ""] if user_doc else []
    lines.append(f"Probes of provider {spec.name!r}:")
    for probe in spec.probes:
        lines += ["", f"    {probe.signature}", "", "        bpftrace -p PID -e '"
                  + bpftrace_program(spec.name, probe).replace("'", "'\\''") + "'"]
        if len(probe.args) > BPFTRACE_MAX_ARGS:
            lines.append(f"        (arguments after the {BPFTRACE_MAX_ARGS}th: gdb 'print $_probe_argN')")
    lines += ["", "Fire one with probe(Provider.probe_name(args...))."]
    return "\n".join(lines)
