"""Values of the wrong kind never reach the tracer, even those ctypes would take.

ctypes passes None for any pointer (a NULL ``str``) and anything at all for a
``bool``, and for an integer an object with ``_as_parameter_`` (its own
protocol); on Python 3.9 it also converts a Decimal. The fast
path of the usdt fire functions must refuse them like the values ctypes
refuses itself (a float for an integer). The program fires each probe with
good and wrong values through rewritten call sites while bpftrace counts what
arrives: exactly the good ones, with one warning per probe naming the
argument, its declared type and the value's type.
"""
from __future__ import annotations

import re

SOURCE = '''\
import decimal
import enum
import warnings
from typing import Optional
from tracers import ProbeCall, U8, U32, probe, tracer
from traced_harness import command, ready, report, say, wait_for_tracer, warm_up


@tracer
class Kinds:
    @staticmethod
    def number(phase: U8, size: U32) -> ProbeCall: ...
    @staticmethod
    def text(phase: U8, name: str) -> ProbeCall: ...
    @staticmethod
    def maybe_text(phase: U8, name: Optional[str]) -> ProbeCall: ...
    @staticmethod
    def data(phase: U8, blob: bytes) -> ProbeCall: ...
    @staticmethod
    def flag(phase: U8, on: bool) -> ProbeCall: ...


class Level(enum.IntEnum):
    HIGH = 9


class Index:
    def __index__(self):
        return 11


class Handle:  # what ctypes passes in its place, by its own protocol: not an integer
    _as_parameter_ = 42


GOOD = {
    "number": [5, True, 2**32 + 7, Level.HIGH, Index()],
    "text": ["a", ""],
    "maybe_text": ["b", None],
    "data": [b"x", bytearray(b"y")],
    "flag": [True, False, 1],
}
WRONG = {
    "number": [2.5, None, "7", decimal.Decimal(3), Handle()],
    "text": [None, b"x", 5],
    "maybe_text": [b"x", 5],
    "data": [None, "s", 5],
    "flag": ["yes", None, 2.5],
}


def fire(name, phase, value):
    if name == "number":
        probe(Kinds.number(phase, value))
    elif name == "text":
        probe(Kinds.text(phase, value))
    elif name == "maybe_text":
        probe(Kinds.maybe_text(phase, value))
    elif name == "data":
        probe(Kinds.data(phase, value))
    else:
        probe(Kinds.flag(phase, value))


def warm():
    for name, values in GOOD.items():
        fire(name, 0, values[0])


def main():
    ready(Kinds)
    wait_for_tracer(Kinds.number, Kinds.text, Kinds.maybe_text, Kinds.data, Kinds.flag)
    warm_up(warm)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in GOOD:
            for value in WRONG[name] + GOOD[name] + WRONG[name]:
                fire(name, 1, value)
    report("warnings", [f"{w.lineno}: {w.message}" for w in caught if w.filename == __file__])
    say("done")
    command()


main()
'''

PROBES = ("number", "text", "maybe_text", "data", "flag")
PROGRAM = "\n".join(
    f'usdt:{{path}}:kinds:{name} {{{{ if (arg0 == 0) {{{{ if (@warm == 0) {{{{ printf("attached\\n"); }}}} '
    f'@warm = 1; }}}} else {{{{ @{name} = count(); }}}} }}}}'
    for name in PROBES)

WARNINGS = [
    "tracers: probe kinds:number not fired: size: expected U32, got float",
    "tracers: probe kinds:text not fired: name: expected str, got None",
    "tracers: probe kinds:maybe_text not fired: name: expected Optional[str], got bytes",
    "tracers: probe kinds:data not fired: blob: expected bytes, got None",
    "tracers: probe kinds:flag not fired: on: expected bool, got str",
]


def test_only_values_of_the_declared_kind_fire(traced, bpftrace, expect_ready) -> None:
    process = traced(SOURCE)
    match = expect_ready(process)
    pid, path = int(match.group(1)), match.group(2).split()[0]
    tracer = bpftrace(pid, PROGRAM.format(path=path))
    tracer.expect(r"^attached$")
    process.send("go")
    warned = process.expect(r"^warnings (.*)$").group(1)
    process.expect(r"^done$")
    assert tracer.interrupt() == 0, tracer.describe()
    process.send("quit")
    assert process.wait() == 0, process.describe()
    lines = SOURCE.splitlines()
    where = {name: lines.index(f"        probe(Kinds.{name}(phase, value))") + 1 for name in PROBES}
    # Each names the probe statement's line, not tracers' own frames.
    assert warned == str([f"{where[name]}: {message}" for name, message in zip(PROBES, WARNINGS)]).replace("'", '"')
    output = "\n".join(tracer.stdout_lines())
    counts = dict(re.findall(r"^@(\w+): (\d+)$", output, re.MULTILINE))
    counts.pop("warm")
    assert counts == {"number": "5", "text": "2", "maybe_text": "2", "data": "2", "flag": "3"}, tracer.describe()
