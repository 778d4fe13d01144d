"""Probes across process creation: os.fork() children keep firing and never
remove the parent's file; multiprocessing's spawn children inherit the mode.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

FORK_SOURCE = '''\
import os
import sys
import time
from tracers import tracer
from traced_harness import command, object_path, ready, say, wait_for_tracer


@tracer
class Forked:
    def event(pid: int, n: int): ...


ready(Forked)
child = os.fork()
if child == 0:
    @tracer
    class ChildOnly:
        def only(x: int): ...

    ready(ChildOnly)  # a provider defined after fork gets the child's own file
    wait_for_tracer(Forked.event)
    n = 0
    while Forked.event:  # until the tracer attached to this child detaches
        n += 1
        Forked.event.fire(os.getpid(), n)
        time.sleep(0.005)
    say("child-done", n)
    sys.exit(0)  # a normal exit: atexit handlers run in the child
_, status = os.waitpid(child, 0)
parent_path = object_path(Forked)
say("parent-after-child", os.WEXITSTATUS(status),
    os.path.exists(parent_path), os.path.exists(parent_path[:-3] + ".json"))
command()
'''


def test_forked_child_fires_and_keeps_the_parents_file(traced, bpftrace, expect_ready, runtime_dir: Path) -> None:
    process = traced(FORK_SOURCE, hook=False)
    parent = expect_ready(process)
    parent_pid, parent_path = int(parent.group(1)), parent.group(2).split()[0]
    child = expect_ready(process)
    child_pid, child_path = int(child.group(1)), child.group(2).split()[0]
    assert child_pid != parent_pid
    assert f"/tracers-{child_pid}-" in child_path and f"/tracers-{parent_pid}-" in parent_path
    assert os.path.exists(child_path)

    # The child maps the parent's object: trace the child through it.
    tracer = bpftrace(child_pid, f'usdt:{parent_path}:forked:event {{ printf("%d %ld %ld\\n", pid, arg0, arg1); }}')
    try:
        events = [tracer.expect(r"^(\d+) (\d+) (\d+)$") for _ in range(3)]
    finally:
        assert tracer.interrupt() == 0, tracer.describe()
    for event in events:
        assert int(event.group(1)) == child_pid and int(event.group(2)) == child_pid
    numbers = [int(event.group(3)) for event in events]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3

    fired = int(process.expect(r"^child-done (\d+)$").group(1))
    assert fired >= numbers[-1]
    assert process.expect(r"^parent-after-child (.*)$").group(1) == "0 True True"
    assert not os.path.exists(child_path)  # the child removed its own file...
    assert os.path.exists(parent_path)  # ...and not the parent's
    process.send("quit")
    assert process.wait() == 0, process.describe()
    assert sorted(runtime_dir.iterdir()) == []


SPAWN_MAIN = '''\
import json
import multiprocessing

import spawned

if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=spawned.report, args=(results,))
    child.start()
    print(json.dumps(results.get(timeout=120)), flush=True)
    child.join(120)
    print("child-exit", child.exitcode, flush=True)
'''

SPAWNED = '''\
import os


def report(results):
    from tracers import _config, tracer
    from tracers.runtime import backend

    mode = _config.current()

    @tracer
    class Spawned:
        def hello(x: int): ...

    paths = [loaded.path for loaded in backend(mode.backend).loaded] if mode.enabled else []
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    results.put({"pid": os.getpid(), "enabled": mode.enabled, "backend": mode.backend,
                 "environment": os.environ.get("TRACERS"), "paths": paths,
                 "mapped": [path in mapped for path in paths],
                 "gate": type(Spawned.hello.gate).__name__})
'''


def test_spawned_children_inherit_the_mode(traced, tmp_path: Path, runtime_dir: Path) -> None:
    (tmp_path / "spawned.py").write_text(SPAWNED)
    process = traced(SPAWN_MAIN)  # python -m tracers run --backend usdt: the mode is exported
    assert process.wait(180) == 0, process.describe()
    report = json.loads(process.stdout_lines()[0])
    assert process.stdout_lines()[1] == "child-exit 0"
    assert report["pid"] != process.pid
    assert (report["enabled"], report["backend"], report["environment"]) == (True, "usdt", "usdt")
    (path,) = report["paths"]
    assert Path(path).parent == runtime_dir and f"/tracers-{report['pid']}-" in path
    assert report["mapped"] == [True]
    assert report["gate"] != "bool"  # the semaphore, not the no-op backend's False
    assert not os.path.exists(path)  # removed when the child exited
