"""Every fire reaches the tracer: N fires while bpftrace counts give exactly N.

The probe carries a phase: the program fires phase 0 (not counted) until
bpftrace has printed that it saw one, which proves its handler is in place;
then it fires phase 1 exactly N times, from one thread or from four, and
says so; then bpftrace is interrupted and prints its map.
"""
from __future__ import annotations

import re

import pytest

FIRES = 10_000

SOURCE = '''\
import sys
import threading
from tracers import probe, tracer, U8
from traced_harness import command, ready, say, wait_for_tracer, warm_up

threads = int(sys.argv[1])
fires = int(sys.argv[2])


@tracer
class Counting:
    def counted(phase: U8): ...


def warm():
    probe(Counting.counted(0))


def fire_many(count, start):
    start.wait()
    for _ in range(count):
        probe(Counting.counted(1))


def main():
    ready(Counting)
    wait_for_tracer(Counting.counted)
    warm_up(warm)
    start = threading.Barrier(threads)
    workers = [threading.Thread(target=fire_many, args=(fires // threads, start)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    say("done", threads * (fires // threads))
    command()


main()
'''

PROGRAM = '''\
usdt:{path}:counting:counted {{
    if (arg0 == 0) {{
        if (@warm == 0) {{ printf("attached\\n"); }}
        @warm = 1;
    }} else {{
        @c = count();
    }}
}}'''


@pytest.mark.parametrize("threads", [1, 4])
def test_bpftrace_counts_every_fire(traced, bpftrace, expect_ready, threads: int) -> None:
    process = traced(SOURCE, str(threads), str(FIRES))
    match = expect_ready(process)
    pid, path = int(match.group(1)), match.group(2).split()[0]
    tracer = bpftrace(pid, PROGRAM.format(path=path))
    tracer.expect(r"^attached$")
    process.send("go")
    fired = int(process.expect(r"^done (\d+)$").group(1))
    assert fired == FIRES
    assert tracer.interrupt() == 0, tracer.describe()
    process.send("quit")
    assert process.wait() == 0, process.describe()
    counts = re.findall(r"^@c: (\d+)$", "\n".join(tracer.stdout_lines()), re.MULTILINE)
    assert counts == [str(FIRES)], tracer.describe()
