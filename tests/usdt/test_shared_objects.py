"""One object per provider: every worker of a service maps the same file, so
one bpftrace command by path, with no ``-p``, traces all of them, including
a worker started after bpftrace attached.
"""
from __future__ import annotations

import re
from typing import Dict

WORKER = '''\
import os
from tracers import tracer, U32
from traced_harness import command, poll_command, ready, say, wait_for_tracer


@tracer
class Service:
    def request(worker: int, n: U32, measured: bool): ...


ready(Service)
wait_for_tracer(Service.request)
while poll_command(0.01) != "go":  # warm-up events until the test has seen one from this process
    Service.request.fire(os.getpid(), 0, False)
fired = 0
for n in range(int(command())):
    if Service.request:
        Service.request.fire(os.getpid(), n, True)
        fired += 1
say("fired", fired)
command()
'''

COUNTS = {0: 300, 1: 500, 2: 700, 3: 900}


def test_one_bpftrace_by_path_traces_every_worker(traced, bpftrace, expect_ready, maps) -> None:
    workers = [traced(WORKER, hook=False, name=f"worker{i}") for i in range(3)]
    paths = {expect_ready(worker).group(2).strip() for worker in workers}
    assert len(paths) == 1, paths  # the same provider: the same file
    (path,) = paths
    tracer = bpftrace(None, f"usdt:{path}:service:request /arg2 == 0/ {{ printf(\"warm %d\\n\", pid); }}\n"
                            f"usdt:{path}:service:request /arg2 != 0/ {{ @[pid] = count(); }}")
    late = traced(WORKER, hook=False, name="late")  # started after bpftrace attached
    assert expect_ready(late).group(2).strip() == path
    workers.append(late)

    for worker in workers:
        tracer.expect(rf"^warm {worker.pid}$")  # its events reach bpftrace: the probe is in place
        worker.send("go")
    for index, worker in enumerate(workers):
        worker.send(str(COUNTS[index]))
    fired: Dict[int, int] = {}
    for worker in workers:
        fired[worker.pid] = int(worker.expect(r"^fired (\d+)$").group(1))
        assert set(maps(worker.pid)) == {path}, "every worker maps the one object"
    assert tracer.interrupt() == 0, tracer.describe()
    counted = {int(m.group(1)): int(m.group(2)) for m in
               (re.match(r"^@\[(\d+)\]: (\d+)$", line.decode()) for line in tracer.events()) if m}
    assert fired == {worker.pid: COUNTS[i] for i, worker in enumerate(workers)}
    assert counted == fired
    for worker in workers:
        worker.send("quit")
        assert worker.wait() == 0, worker.describe()
