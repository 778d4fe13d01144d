"""bpftrace, attached by pid, prints exactly the values a program fires.

The program declares probes of every argument type, waits for the
semaphores, and fires a list of cases in warm-up rounds until the test has
seen bpftrace print every probe (so every handler is in place), then fires the
list once more with distinct tags and reports what it fired. The test renders
each fired value the way the probe's argument type defines it reaching the
tracer, and compares with what bpftrace printed.

What reaches the tracer (the usdt backend's documented conversions):

* integers wrap to the declared width, two's complement: ``U8`` 300 -> 44,
  ``I8`` 200 -> -56, ``U64`` -1 -> 2**64 - 1, ``int`` (64-bit signed) 2**64 + 5 -> 5;
* ``bool`` is 0 or 1; ``None`` for ``Optional[int]``/``Optional[bool]`` is 0;
* ``str`` is NUL-terminated UTF-8: an embedded NUL ends it, a lone surrogate
  becomes ``?``; ``None`` is a NULL pointer, which bpftrace's ``str()`` prints
  as the empty string;
* ``bytes`` is two arguments, the address then the length, so ``buf()``
  shows every byte, NULs included (bpftrace escapes what is not printable
  ASCII as ``\\xNN``); ``None`` is a NULL address and a length of 0.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

#: Argument annotations -> (size in bytes, signed) for the integers.
INTS = {
    "I8": (1, True), "I16": (2, True), "I32": (4, True), "I64": (8, True), "int": (8, True),
    "U8": (1, False), "U16": (2, False), "U32": (4, False), "U64": (8, False),
}

#: bpftrace's str() reads at most 64 bytes including the NUL (BPFTRACE_STRLEN).
STRLEN = 64

PROVIDER = "values"
# Every probe starts with ``tag: U32`` (case index, plus FINAL in the measured round):
# bpftrace 0.17 reads arg0..arg5, so at most five values follow.
PROBES: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "signed": (("a", "I8"), ("b", "I16"), ("c", "I32"), ("d", "I64"), ("e", "int")),
    "unsigned": (("a", "U8"), ("b", "U16"), ("c", "U32"), ("d", "U64"), ("e", "Optional[int]")),
    "flags": (("a", "bool"), ("b", "bool"), ("c", "Optional[bool]"), ("d", "Optional[U8]")),
    "text": (("s", "str"), ("o", "Optional[str]"), ("b", "bytes")),
    "blobs": (("b", "bytes"), ("ob", "Optional[bytes]")),
}

CASES: List[Tuple[str, Tuple[Any, ...]]] = [
    # limits of every width
    ("signed", (-128, -32768, -2**31, -2**63, -2**63)),
    ("signed", (127, 32767, 2**31 - 1, 2**63 - 1, 2**63 - 1)),
    ("signed", (-1, -1, -1, -1, -1)),
    ("signed", (0, 0, 0, 0, 0)),
    ("signed", (-5, 1234, -123456789, -1234567890123, 42)),
    ("unsigned", (0, 0, 0, 0, 0)),
    ("unsigned", (255, 65535, 2**32 - 1, 2**64 - 1, -2**63)),
    ("unsigned", (7, 4660, 305419896, 2**63, None)),
    # out of range: wrapped to the width
    ("signed", (200, 40000, 2**31, 2**63, 2**64 + 5)),
    ("signed", (-129, -32769, -2**31 - 1, -2**63 - 1, -2**64 - 1)),
    ("unsigned", (300, 65536 + 7, 2**32 + 1, 2**64 + 2, 2**63)),
    ("unsigned", (-1, -1, -1, -1, -1)),
    # bools and None
    ("flags", (True, False, None, None)),
    ("flags", (False, True, True, 255)),
    ("flags", (7, 0, False, 0)),
    # strings and bytes
    ("text", ("héllo wörld ✓", None, b"bytes \x01\x7f\xff")),
    ("text", ("", "present", b"")),
    ("text", ("a\x00b", "x\udcffy", b"ab\x00cd")),
    ("text", ("lone \udc80 surrogate", "", b"x")),
    ("text", ("日本語 テキスト", "emoji 🎉", b"\xe2\x82\xac plain")),
    ("blobs", (b"\x00\x01jobs\xff", None)),
    ("blobs", (b"", b"x")),
    ("blobs", ("✓".encode(), b"")),
    ("blobs", (bytes(range(256)), b"ab\x00cd\\")),
]

FINAL = 1_000_000


def wrap(value: int, bits: int, signed: bool) -> int:
    """Two's complement truncation to ``bits``."""
    value %= 1 << bits
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def rendered(annotation: str, value: Any) -> bytes:
    """What bpftrace prints for ``value`` fired as ``annotation`` (with the formats of ``program``)."""
    base = annotation[len("Optional["):-1] if annotation.startswith("Optional[") else annotation
    if base == "str":
        return b"" if value is None else value.encode("utf-8", "replace").split(b"\0")[0][:STRLEN - 1]
    if base == "bytes":  # buf() shows at most STRLEN bytes
        data = b"" if value is None else value[:STRLEN]
        return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in data).encode()
    if value is None:
        return b"0"
    if base == "bool":
        return b"1" if value else b"0"
    size, signed = INTS[base]
    return str(wrap(value, size * 8, signed)).encode()


def bpftrace_format(annotation: str) -> str:
    base = annotation[len("Optional["):-1] if annotation.startswith("Optional[") else annotation
    if base == "str":
        return "%s"
    if base == "bytes":
        return "%r"
    if base == "bool":
        return "%u"
    size, signed = INTS[base]
    return ("%ld" if signed else "%lu") if size == 8 else ("%d" if signed else "%u")


def program(path: str) -> str:
    """One printf per probe: name, tag and every value, tab separated."""
    parts = []
    for name, args in PROBES.items():
        formats = "\\t".join([name, "%u"] + [bpftrace_format(a) for _, a in args])
        values, slot = ["arg0"], 1
        for _, annotation in args:
            conversion = bpftrace_format(annotation)
            if conversion == "%r":  # the address, then the length
                values.append(f"buf(arg{slot}, arg{slot + 1})")
                slot += 2
            else:
                values.append(f"str(arg{slot})" if conversion == "%s" else f"arg{slot}")
                slot += 1
        assert slot <= 6, f"{name}: bpftrace 0.17 reads arg0..arg5"
        parts.append(f'usdt:{path}:{PROVIDER}:{name} {{ printf("{formats}\\n", {", ".join(values)}); }}')
    return "\n".join(parts)


def source() -> str:
    methods = "\n".join(
        f"    def {name}(tag: U32, {', '.join(f'{a}: {t}' for a, t in args)}): ..."
        for name, args in PROBES.items()
    )
    return f'''\
import warnings
from typing import Optional
from tracers import tracer, I8, I16, I32, I64, U8, U16, U32, U64
from traced_harness import command, ready, report, wait_for_tracer, warm_up

warnings.simplefilter("error")  # a probe that cannot fire stops the program loudly


@tracer
class Values:
{methods}


CASES = {CASES!r}
FINAL = {FINAL}


def fire_round(base):
    for index, (name, args) in enumerate(CASES):
        getattr(Values, name).fire(base + index, *args)


ready(Values)
wait_for_tracer(*(getattr(Values, name) for name in {list(PROBES)!r}))
warm_up(lambda: fire_round(0))
fire_round(FINAL)
report("fired", [[FINAL + index, name, list(args)] for index, (name, args) in enumerate(CASES)])
command()
'''


def decode(value: Any) -> Any:
    return bytes.fromhex(value["bytes"]) if isinstance(value, dict) else value


def parse(lines: List[bytes]) -> List[Tuple[str, int, List[bytes]]]:
    events = []
    for line in lines:
        name, tag, *fields = line.split(b"\t")
        events.append((name.decode(), int(tag), fields))
    return events


def test_bpftrace_prints_every_value_as_fired(traced, bpftrace, expect_ready) -> None:
    process = traced(source(), hook=False)
    match = expect_ready(process)
    pid, path = int(match.group(1)), match.group(2).split()[0]
    assert pid == process.pid
    tracer = bpftrace(pid, program(path))

    names: set = set()
    finals: set = set()
    cursor = [0]

    def scan() -> None:
        lines = tracer.out.lines
        while cursor[0] < len(lines):
            fields = lines[cursor[0]].split(b"\t")
            cursor[0] += 1
            if len(fields) > 1:
                names.add(fields[0].decode())
                if int(fields[1]) >= FINAL:
                    finals.add(int(fields[1]))

    def seen_every_probe() -> bool:
        scan()
        return names >= set(PROBES)

    tracer.wait_until(seen_every_probe, "a warm-up event of every probe")
    process.send("go")
    fired = json.loads(process.expect(r"^fired (.*)$").group(1))

    def seen_measured_round() -> bool:
        scan()
        return len(finals) >= len(CASES)

    tracer.wait_until(seen_measured_round, "the measured round")
    assert tracer.interrupt() == 0, tracer.describe()
    process.send("quit")
    assert process.wait() == 0, process.describe()

    # The program fired exactly the cases, in order, with the tags it reports.
    assert [(name, tuple(decode(v) for v in args)) for _, name, args in fired] == CASES
    expected = {tag: (name, [rendered(t, v) for (_, t), v in zip(PROBES[name], map(decode, args))])
                for tag, name, args in fired}

    events = parse(tracer.events())
    final = [(tag, (name, fields)) for name, tag, fields in events if tag >= FINAL]
    assert sorted(tag for tag, _ in final) == sorted(expected), "each case printed exactly once"
    for tag, event in final:
        assert event == expected[tag], f"case {tag - FINAL}: {CASES[tag - FINAL]}"
    # Warm-up rounds carried the same values.
    warm = [(tag, (name, fields)) for name, tag, fields in events if tag < FINAL]
    assert warm
    for tag, event in warm:
        assert event == expected[tag + FINAL]

    # The documented conversions, spelled out.
    printed = {CASES[tag - FINAL]: fields for tag, (_, fields) in final}
    assert printed[("unsigned", (300, 65536 + 7, 2**32 + 1, 2**64 + 2, 2**63))][:4] == [b"44", b"7", b"1", b"2"]
    assert printed[("signed", (200, 40000, 2**31, 2**63, 2**64 + 5))] == [
        b"-56", b"-25536", b"-2147483648", b"-9223372036854775808", b"5"]
    assert printed[("unsigned", (-1, -1, -1, -1, -1))] == [
        b"255", b"65535", b"4294967295", b"18446744073709551615", b"-1"]
    assert printed[("text", ("héllo wörld ✓", None, b"bytes \x01\x7f\xff"))] == [
        "héllo wörld ✓".encode(), b"", b"bytes \\x01\\x7f\\xff"]
    assert printed[("text", ("a\x00b", "x\udcffy", b"ab\x00cd"))] == [b"a", b"x?y", b"ab\\x00cd"]
    assert printed[("text", ("lone \udc80 surrogate", "", b"x"))] == [b"lone ? surrogate", b"", b"x"]
    assert printed[("blobs", (b"\x00\x01jobs\xff", None))] == [b"\\x00\\x01jobs\\xff", b""]
    assert printed[("flags", (True, False, None, None))] == [b"1", b"0", b"0", b"0"]
