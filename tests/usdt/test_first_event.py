"""A probe's fire function is made at its first event, not when it is looked up.

Looking a probe up (testing its gate) is what every process running the call
site does; compiling the fire function of its signature and making its ctypes
function type is needed only where a tracer listens.  The first event makes
it and puts it on the probe; a reference to the probe's ``fire`` kept from
before still fires, through the function that made it.  bpftrace counts every
event of both.
"""
from __future__ import annotations

import re

SOURCE = '''\
import sys
from tracers import U8, tracer
from traced_harness import command, ready, say, wait_for_tracer, warm_up


@tracer
class Deferred:
    def counted(phase: U8, n: int): ...


def fire_module_imported():
    return "tracers.runtime.usdt._fire" in sys.modules


def main():
    event = Deferred.counted
    kept = event.fire  # taken before the first event
    ready(Deferred)
    say("before", bool(event.gate), fire_module_imported())
    wait_for_tracer(event)
    warm_up(lambda: kept(0, 0))
    made = event.fire
    say("after", fire_module_imported(), made is not kept, made.__code__.co_filename.endswith("<generated fire>"))
    for n in range(5):
        kept(1, n)
    for n in range(5, 10):
        event.fire(1, n)
    say("done")
    command()


main()
'''

PROGRAM = '''\
usdt:{path}:deferred:counted /arg0 == 0 && @warm == 0/ {{ printf("attached\\n"); @warm = 1; }}
usdt:{path}:deferred:counted /arg0 == 1/ {{ @c = count(); @s = sum(arg1); }}'''


def test_the_first_event_makes_the_fire_function(traced, bpftrace, expect_ready) -> None:
    process = traced(SOURCE)
    match = expect_ready(process)
    pid, path = int(match.group(1)), match.group(2).split()[0]
    # Looked up, its gate tested, no tracer yet: nothing of the fire functions' module is loaded.
    assert process.expect(r"^before (\w+) (\w+)$").groups() == ("False", "False"), process.describe()
    tracer = bpftrace(pid, PROGRAM.format(path=path))
    tracer.expect(r"^attached$")
    process.send("go")
    # The first event made the generated function and put it on the probe.
    assert process.expect(r"^after (\w+) (\w+) (\w+)$").groups() == ("True", "True", "True"), process.describe()
    process.expect(r"^done$")
    assert tracer.interrupt() == 0, tracer.describe()
    process.send("quit")
    assert process.wait() == 0, process.describe()
    output = "\n".join(tracer.stdout_lines())
    assert re.findall(r"^@c: (\d+)$", output, re.MULTILINE) == ["10"], tracer.describe()
    assert re.findall(r"^@s: (\d+)$", output, re.MULTILINE) == ["45"], tracer.describe()
