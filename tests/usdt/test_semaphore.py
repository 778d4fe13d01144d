"""The semaphore gates every probe site: 0 with no tracer, raised while bpftrace
is attached, 0 again after it exits; and while it is 0 the arguments of a
``probe(...)`` statement are not evaluated.

The semaphore is read two ways: by the program through its gate, and by the
test from the process's memory at the address the stapsdt note gives (what
the kernel increments).
"""
from __future__ import annotations

import re
import struct
import subprocess
import time
from typing import Dict

TIMEOUT = 60.0

SOURCE = '''\
from tracers import probe, tracer
from traced_harness import poll_command, ready, say


@tracer
class Gated:
    def tick(evaluated: int): ...


evaluated = 0


def side_effect():
    global evaluated
    evaluated += 1
    return evaluated


def main():
    ready(Gated)
    iterations = 0
    while True:
        probe(Gated.tick(side_effect()))
        iterations += 1
        command = poll_command(0.002)
        if command == "status":
            say("status", Gated.tick.gate.value, evaluated, iterations)
        elif command == "quit":
            return


main()
'''


def semaphores(readelf: str, path: str) -> Dict[str, int]:
    """probe name -> semaphore address in the file, from ``readelf -n``."""
    notes = subprocess.run([readelf, "-n", "-W", path], capture_output=True, text=True, check=True).stdout
    return {name: int(address, 16) for name, address in
            re.findall(r"Name: (\w+)\s+Location: \S+, Base: \S+, Semaphore: (0x[0-9a-f]+)", notes)}


def read_u16(pid: int, address: int) -> int:
    with open(f"/proc/{pid}/mem", "rb") as memory:
        memory.seek(address)
        return struct.unpack("<H", memory.read(2))[0]


def test_semaphore_follows_the_tracer_and_gates_argument_evaluation(
        traced, bpftrace, readelf_path, expect_ready, maps) -> None:
    process = traced(SOURCE)  # through the import hook: probe(...) becomes "if gate: fire(...)"
    match = expect_ready(process)
    pid, path = int(match.group(1)), match.group(2).split()[0]
    address = maps(pid)[path] + semaphores(readelf_path, path)["tick"]

    def status() -> tuple:
        process.send("status")
        found = process.expect(r"^status (\d+) (\d+) (\d+)$")
        return tuple(int(v) for v in found.groups())

    def status_when(condition, what: str) -> tuple:
        deadline = time.monotonic() + TIMEOUT
        while True:
            current = status()
            if condition(*current):
                return current
            assert time.monotonic() < deadline, f"{what}: last status {current}"

    def status_after(iterations: int) -> tuple:
        return status_when(lambda s, e, i: i >= iterations, f"{iterations} iterations")

    # No tracer: many iterations, semaphore 0, the argument never evaluated.
    semaphore, evaluated, iterations = status_after(50)
    assert (semaphore, evaluated) == (0, 0)
    assert read_u16(pid, address) == 0

    tracer = bpftrace(pid, f'usdt:{path}:gated:tick {{ printf("tick %ld\\n", arg0); }}')
    try:
        semaphore, evaluated, iterations = status_when(lambda s, e, i: s > 0, "semaphore raised")
        assert semaphore >= 1
        assert read_u16(pid, address) >= 1
        first = int(tracer.expect(r"^tick (\d+)$").group(1))
        assert first >= 1  # the value the side effect returned: evaluated only now
    finally:
        assert tracer.interrupt() == 0, tracer.describe()

    # bpftrace is gone: the kernel dropped the semaphore; nothing is evaluated any more.
    semaphore, evaluated, iterations = status_when(lambda s, e, i: s == 0, "semaphore dropped")
    assert read_u16(pid, address) == 0
    assert evaluated >= first
    later = status_after(iterations + 50)
    assert later[:2] == (0, evaluated)
    process.send("quit")
    assert process.wait() == 0, process.describe()
