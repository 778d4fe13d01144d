"""The bpftrace lines that tracers prints are real: those of ``python -m tracers
list --pid`` and of ``help(Provider)``, run as printed, show the events fired.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any, Dict, List

SIMPLE = Path(__file__).resolve().parents[2] / "examples" / "simple.py"

_COMMAND = re.compile(r"bpftrace -e '.*'$")


def bpftrace_lines(output: str) -> Dict[str, List[str]]:
    """probe name -> argv of each ``bpftrace -e '...'`` line (pydoc's ' |  ' margin allowed)."""
    found = {}
    for line in output.splitlines():
        command = _COMMAND.search(line)
        if command:
            argv = shlex.split(command.group(0))
            assert len(argv) == 3 and argv[1] == "-e", argv
            probe = re.match(r"usdt:\S*:\w+:(\w+) \{", argv[2])
            assert probe, line
            found[probe.group(1)] = argv
    return found


def test_list_pid_prints_the_object_and_working_bpftrace_lines(traced, bpftrace, python, maps) -> None:
    process = traced(None, "--forever", "--interval", "0.1", script=SIMPLE)
    process.expect(r"^hello world #0$")
    result = python(["-m", "tracers", "list", "--pid", str(process.pid)])
    assert result.returncode == 0, result.stderr
    (path,) = maps(process.pid)
    assert any(line.startswith(f"  object: {path}  (mapped") for line in result.stdout.splitlines()), result.stdout

    lines = bpftrace_lines(result.stdout)
    assert set(lines) == {"hello", "greeting", "optional_greeting", "counter"}
    expected = {
        "hello": r"^hello who=world #(\d+)$",
        "greeting": r"^greeting greeting=hello name=world #(\d+)$",
        "optional_greeting": r"^optional_greeting greeting=hello name=(?:world #(\d+))?$",
        "counter": r"^counter count=(\d+)$",
    }
    for name, argv in lines.items():
        assert argv[2].startswith(f"usdt:{path}:simple_probes:{name} ")
        tracer = bpftrace(None, argv[2])  # by path, as printed: no -p
        try:
            # Two successive iterations: optional_greeting passes None for even counts.
            events = [tracer.expect(expected[name]) for _ in range(2)]
        finally:
            assert tracer.interrupt() == 0, tracer.describe()
        if name == "optional_greeting":
            numbers = [event.group(1) for event in events]
            assert None in numbers and any(n is not None and int(n) % 2 for n in numbers), numbers
    assert process.popen.poll() is None, process.describe()


DOC_SOURCE = '''\
import os
import pydoc
import warnings
from tracers import tracer, I16, U8
from traced_harness import poll_command, ready, report, say

warnings.simplefilter("error")


@tracer
class Documented:
    """Probes of the documentation test."""

    def started(pid: int, name: str): ...
    def levels(on: bool, level: U8, delta: I16): ...
    def many(a1: int, a2: int, a3: int, a4: int, a5: int, a6: int, a7: int): ...


VALUES = {"started": (os.getpid(), "doc ✓"), "levels": (True, 200, -300), "many": (1, 2, 3, 4, 5, 6, 7)}
say("doc-begin")
say(pydoc.render_doc(Documented, renderer=pydoc.plaintext))
say("doc-end")
report("values", VALUES)
ready(Documented)
while poll_command(0.01) != "quit":
    for name, args in VALUES.items():
        probe = getattr(Documented, name)
        if probe:
            probe.fire(*args)
'''

SIGNATURES = {
    "started": ("started(pid: int, name: str)", ("pid", "name")),
    "levels": ("levels(on: bool, level: U8, delta: I16)", ("on", "level", "delta")),
    "many": ("many(a1: int, a2: int, a3: int, a4: int, a5: int, a6: int, a7: int)",
             ("a1", "a2", "a3", "a4", "a5", "a6")),  # bpftrace shows the first six
}


def shown(value: Any) -> str:
    return str(int(value)) if isinstance(value, (bool, int)) else str(value)


def test_help_lists_each_probe_with_a_working_bpftrace_line(traced, bpftrace, expect_ready, maps) -> None:
    process = traced(DOC_SOURCE, hook=False)
    process.expect(r"^doc-begin$")
    values = json.loads(process.expect(r"^values (.*)$").group(1))
    pid = int(expect_ready(process).group(1))
    lines = process.stdout_lines()
    doc = "\n".join(lines[lines.index("doc-begin") + 1:lines.index("doc-end")])

    assert "Probes of the documentation test." in doc
    assert "Probes of provider 'documented':" in doc
    for signature, _ in SIGNATURES.values():
        assert signature in doc
    assert "$_probe_argN" in doc  # the seven-argument probe points at gdb for the seventh

    (path,) = maps(pid)
    commands = bpftrace_lines(doc)
    assert set(commands) == set(SIGNATURES)
    for name, argv in commands.items():
        assert argv[2].startswith(f"usdt:{path}:documented:{name} "), "help() names the object every process maps"
        assert not re.search(r"\barg([6-9]|1\d)\b", argv[2]), "bpftrace 0.17 refuses arg6 and later"
        arg_names = SIGNATURES[name][1]
        pattern = "^" + re.escape(name) + "".join(f" {re.escape(a)}=(.*)" for a in arg_names) + "$"
        tracer = bpftrace(None, argv[2])
        try:
            event = tracer.expect(pattern)
        finally:
            assert tracer.interrupt() == 0, tracer.describe()
        assert list(event.groups()) == [shown(v) for v in values[name][:len(arg_names)]], name
    process.send("quit")
    assert process.wait() == 0, process.describe()
