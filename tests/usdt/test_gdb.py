"""gdb reads all twelve arguments of a probe, the six in registers and the six on the stack.

bpftrace 0.17 stops at arg5; gdb follows the note's stack operands
(``8@8(%rsp)``...), so it is the check that the stack arguments are described
correctly. The program fires the probe (same values every time) while its
semaphore is raised: gdb raises it when it inserts the probe breakpoint.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any, List, Tuple

ARGS: List[Tuple[str, str]] = [
    ("a0", "I64"), ("a1", "U8"), ("a2", "I16"), ("a3", "U32"), ("a4", "str"), ("a5", "I8"),
    # from here on the stack
    ("a6", "I8"), ("a7", "U16"), ("a8", "I32"), ("a9", "U64"), ("a10", "str"), ("a11", "int"),
]
VALUES: List[Any] = [-5, 255, -32768, 4294967295, "héllo ✓", -1,
                     -100, 65535, -2**31, 2**64 - 1, "on the stack", -2**63]

SOURCE = f'''\
import time
import warnings
from tracers import tracer, I8, I16, I32, I64, U8, U16, U32, U64
from traced_harness import ready, poll_command, report

warnings.simplefilter("error")


@tracer
class Debugged:
    def wide({", ".join(f"{n}: {t}" for n, t in ARGS)}): ...


VALUES = {VALUES!r}
ready(Debugged)
report("values", VALUES)
while poll_command(0.005) != "quit":
    if Debugged.wide:
        Debugged.wide.fire(*VALUES)
'''


def test_gdb_reads_all_twelve_arguments(traced, gdb_path, expect_ready) -> None:
    process = traced(SOURCE, hook=False)
    pid = int(expect_ready(process).group(1))
    fired = json.loads(process.expect(r"^values (.*)$").group(1))
    assert fired == VALUES

    command = [gdb_path, "-nx", "-batch", "-iex", "set debuginfod enabled off", "-iex", "set auto-load off",
               "-iex", "set charset UTF-8", "-p", str(pid),
               "-ex", "break -probe-stap debugged:wide", "-ex", "continue", "-ex", "print $_probe_argc"]
    for index, (_, kind) in enumerate(ARGS):
        command += ["-ex", f"print (char*)$_probe_arg{index}" if kind == "str" else f"print $_probe_arg{index}"]
    command += ["-ex", "detach"]
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    try:
        result = subprocess.run(command, capture_output=True, env=env, timeout=120)
    finally:
        process.send("quit")
    output = result.stdout.decode("utf-8", "replace")
    printed = re.findall(r"^\$\d+ = (.*)$", output, re.MULTILINE)
    assert len(printed) == 1 + len(ARGS), f"gdb output:\n{output}\n{result.stderr.decode(errors='replace')}"
    assert printed[0] == str(len(ARGS))
    for (name, kind), value, shown in zip(ARGS, VALUES, printed[1:]):
        if kind == "str":
            string = re.fullmatch(r'0x[0-9a-f]+ "(.*)"', shown)
            assert string is not None, f"{name}: {shown!r}"
            assert string.group(1) == value, name
        else:
            number = re.match(r"-?\d+", shown)
            assert number is not None, f"{name}: {shown!r}"
            assert int(number.group(0)) == value, name
    assert process.wait() == 0, process.describe()
