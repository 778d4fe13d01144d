"""The bpftrace program behind ``tracers trace``, and the reading of what it prints.

Pure: selected probes in, program text out; one output line in, one event out.

Each probe prints one line, ``@E<TAB>index<TAB>nsecs<TAB>pid<TAB>tid`` then one
field per argument.  Text is printed with bpftrace's ``%r`` (every byte that
is not printable ASCII escaped as ``\\xNN``), so no value can break a line or
a field; a ``bytes`` value arrives with its length (its second USDT
argument); a pointer's raw value tells ``None`` apart for ``Optional`` text.
bpftrace 0.17 reads ``arg0``-``arg5`` only: on x86_64 the arguments after
those are read from the stack, where the probe's note says they are.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence

from .._docs import arg_slots
from .._spec import ArgSpec, ProbeSpec

EVENT_TAG = "@E"
_REGISTER_ARGS = 6  # what bpftrace reads as arg0..arg5
#: The stack a probe's printf may use for its text and numbers, measured with bpftrace 0.17 on
#: x86_64 (a probe whose text and numbers need more is refused by the BPF verifier).
_STACK_BUDGET = 304
#: The longest text bpftrace 0.17 reads (BPFTRACE_STRLEN).
MAX_STRLEN = 200


class Selected(NamedTuple):
    """One probe of one object file, to be traced."""

    path: str
    provider: str
    probe: ProbeSpec


class Event(NamedTuple):
    """One firing, as ``tracers trace`` shows it."""

    nsecs: int
    pid: int
    tid: int
    selected: Selected
    values: tuple[Any, ...]
    truncated: tuple[str, ...]  # names of text values cut at the read length


class StackArgumentsUnreadable(ValueError):
    """A probe's arguments lie past arg5 on a machine whose stack layout is not handled here."""


def string_length(selected: Sequence[Selected]) -> int:
    """BPFTRACE_STRLEN for these probes: as long as the probe with the most text allows.

    Each text value takes about the length in stack for its buffer and for
    its escaped copy, each number about 8 bytes.
    """
    lengths = [_fitting_length(s.probe) for s in selected]
    return min(lengths, default=64)


def _fitting_length(probe: ProbeSpec) -> int:
    texts = sum(1 for a in probe.args if a.type.kind in ("str", "bytes"))
    numbers = 3 + sum(2 if a.type.kind == "bytes" else 1 for a in probe.args)  # nsecs, pid, tid; pointers
    if texts == 0:
        return MAX_STRLEN
    return max(8, min(MAX_STRLEN, (_STACK_BUDGET - 8 * numbers) // (texts + 1) // 8 * 8))


def program(selected: Sequence[Selected], machine: str, strlen: int) -> str:
    """One bpftrace probe per selected probe, each printing its tagged line."""
    lines = []
    for index, item in enumerate(selected):
        formats = [EVENT_TAG, str(index), "%lu", "%d", "%d"]
        values = ["nsecs", "pid", "tid"]
        for arg, slot in arg_slots(item.probe):
            conversion, expressions = _field(arg, slot, machine, strlen, item)
            formats.append(conversion)
            values += expressions
        text = "\\t".join(formats)  # bpftrace's escape for a tab
        call = ", ".join([f'"{text}\\n"'] + values)
        lines.append(f"usdt:{item.path}:{item.provider}:{item.probe.name} {{ printf({call}); }}")
    return "\n".join(lines) + "\n"


def _field(arg: ArgSpec, slot: int, machine: str, strlen: int, item: Selected) -> tuple[str, list[str]]:
    """The printf conversion(s) and expressions of one argument (one tab-separated field)."""
    kind, size, signed = arg.type.kind, arg.type.size, arg.type.signed
    if kind == "str":
        pointer = _slot(slot, 8, False, machine, item)
        return "%lu:%r", [pointer, f"buf(str({pointer}), {strlen})"]
    if kind == "bytes":
        pointer, length = _slot(slot, 8, False, machine, item), _slot(slot + 1, 8, False, machine, item)
        return "%lu:%lu:%r", [pointer, length, f"buf({pointer}, {length})"]
    if kind == "bool":
        return "%d", [_slot(slot, 1, False, machine, item)]
    return ("%ld" if signed else "%lu"), [_slot(slot, size, signed, machine, item)]


def _slot(index: int, size: int, signed: bool, machine: str, item: Selected) -> str:
    """The expression reading USDT argument ``index``."""
    if index < _REGISTER_ARGS:
        return f"arg{index}"
    if machine != "x86_64":
        raise StackArgumentsUnreadable(
            f"{item.provider}:{item.probe.name} has arguments past arg{_REGISTER_ARGS - 1}, which this "
            f"bpftrace cannot read on {machine}; read them with gdb: gdb -p PID -ex "
            f"'break -probe-stap {item.provider}:{item.probe.name}' -ex continue -ex 'print $_probe_argN'")
    # At the probe (the stub's first instruction) 0(%rsp) is the return address;
    # the seventh argument is at 8(%rsp), then one 8-byte slot each.
    c_type = f"{'' if signed else 'u'}int{8 * size}"
    return f'*({c_type}*)(reg("sp") + {8 * (index - _REGISTER_ARGS + 1)})'


def parse(line: str, selected: Sequence[Selected], strlen: int) -> Optional[Event]:
    """The event a program line reports, or None for any other line."""
    fields = line.rstrip("\n").split("\t")
    if fields[0] != EVENT_TAG or len(fields) < 5:
        return None
    try:
        item = selected[int(fields[1])]
        nsecs, pid, tid = int(fields[2]), int(fields[3]), int(fields[4])
    except (ValueError, IndexError):
        return None
    if len(fields) != 5 + len(item.probe.args):
        return None
    values, truncated = [], []
    for arg, field in zip(item.probe.args, fields[5:]):
        value, cut = _value(arg, field, strlen)
        values.append(value)
        if cut:
            truncated.append(arg.name)
    return Event(nsecs, pid, tid, item, tuple(values), tuple(truncated))


def _value(arg: ArgSpec, field: str, strlen: int) -> tuple[Any, bool]:
    kind = arg.type.kind
    if kind == "str":
        pointer, _, text = field.partition(":")
        if int(pointer) == 0:
            return None, False
        data = unescape(text)
        end = data.find(b"\0")
        cut = end < 0 or end >= strlen - 1  # str() keeps at most strlen - 1 bytes
        return data[: end if end >= 0 else len(data)].decode("utf-8", "replace"), cut
    if kind == "bytes":
        pointer, length, text = field.split(":", 2)
        if int(pointer) == 0:
            return None, False
        data = unescape(text)[: int(length)]
        return data, len(data) < int(length)
    if kind == "bool":
        return field != "0", False
    return int(field), False


def unescape(text: str) -> bytes:
    """bpftrace's ``%r``: printable ASCII as is, every other byte as ``\\xNN``.

    So ``\\x41`` is the four characters themselves (``A`` would be printed as
    is); only the escape of a byte that is not printable ASCII reads back
    ambiguously when the value holds that very text.
    """
    out = bytearray()
    index, size = 0, len(text)
    while index < size:
        char = text[index]
        if char == "\\" and text[index + 1:index + 2] == "x" and _is_escape(text[index + 2:index + 4]):
            out.append(int(text[index + 2:index + 4], 16))
            index += 4
        else:
            out += char.encode("latin-1", "replace")
            index += 1
    return bytes(out)


def _is_escape(text: str) -> bool:
    """Two hex digits naming a byte bpftrace escapes (one that is not printable ASCII)."""
    if len(text) != 2 or not all(c in "0123456789abcdefABCDEF" for c in text):
        return False
    return not 0x20 <= int(text, 16) < 0x7F
