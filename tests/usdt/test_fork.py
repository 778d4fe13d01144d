"""Probes across process creation: fork() children keep firing and never take
the file away from the parent; a double-fork daemon keeps its probes after
its parents exit; a program that execs itself maps the same file again;
multiprocessing's spawn children inherit the mode; a fork during a long
sweep of the runtime directory does not hang, nor does a child forked while
the sweep holds a file's exclusive lock.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

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

    ready(ChildOnly)  # a provider defined after fork gets its own file
    wait_for_tracer(Forked.event)
    n = 0
    while Forked.event:  # until the tracer attached to this child detaches
        n += 1
        Forked.event.fire(os.getpid(), n)
        time.sleep(0.005)
    say("child-done", n)
    sys.exit(0)  # a normal exit: exit handlers run in the child
_, status = os.waitpid(child, 0)
parent_path = object_path(Forked)
say("parent-after-child", os.WEXITSTATUS(status), os.path.exists(parent_path))
command()
'''


def test_a_forked_child_fires_and_keeps_the_parents_file(traced, bpftrace, expect_ready, runtime_dir: Path) -> None:
    process = traced(FORK_SOURCE, hook=False)
    parent = expect_ready(process)
    parent_pid, parent_path = int(parent.group(1)), parent.group(2).strip()
    child = expect_ready(process)
    child_pid, child_path = int(child.group(1)), child.group(2).strip()
    assert child_pid != parent_pid and child_path != parent_path
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
    assert process.expect(r"^parent-after-child (.*)$").group(1) == "0 True"
    assert not os.path.exists(child_path)  # the child's own provider went with it...
    assert os.path.exists(parent_path)  # ...and the parent's stayed
    process.send("quit")
    assert process.wait() == 0, process.describe()
    assert sorted(runtime_dir.iterdir()) == []


DAEMON_SOURCE = '''\
import os
import sys
import time
from tracers import tracer
from traced_harness import ready, say


@tracer
class Daemon:
    def beat(pid: int, n: int): ...


close_all = sys.argv[1] == "close-fds"
if os.fork():
    os._exit(0) if close_all else sys.exit(0)  # the original parent exits at once
os.setsid()
if os.fork():
    sys.exit(0)  # so does the session leader: the daemon is orphaned
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
if close_all:  # as daemon libraries do: every descriptor beyond the standard three
    os.closerange(3, 65536)
ready(Daemon)
devnull = os.open(os.devnull, os.O_RDWR)
for stream in (1, 2):  # a daemon lets go of its parent's output
    os.dup2(devnull, stream)
n = 0
deadline = time.monotonic() + 120
while time.monotonic() < deadline and not os.path.exists(sys.argv[2]):
    n += 1
    if Daemon.beat:
        Daemon.beat.fire(os.getpid(), n)
    time.sleep(0.005)
'''


@pytest.mark.parametrize("descriptors", ["keeps-fds", "close-fds"])
def test_a_double_fork_daemon_is_traced_after_its_parents_exit(traced, bpftrace, expect_ready, runtime_dir: Path,
                                                               tmp_path: Path, descriptors: str) -> None:
    stop = tmp_path / "stop"
    process = traced(DAEMON_SOURCE, descriptors, str(stop))
    daemon = expect_ready(process)
    daemon_pid, path = int(daemon.group(1)), daemon.group(2).strip()
    assert process.wait() == 0, process.describe()  # the original parent has exited
    try:
        # Another process starting now sweeps the directory: the daemon's file must survive it.
        sweeper = traced("from tracers import tracer\n@tracer\nclass Other:\n    def x(a: int): ...\n", hook=False)
        assert sweeper.wait() == 0, sweeper.describe()
        assert os.path.exists(path)
        tracer = bpftrace(daemon_pid, f'usdt:{path}:daemon:beat {{ printf("%d %ld\\n", pid, arg0); }}')
        try:
            events = [tracer.expect(r"^(\d+) (\d+)$") for _ in range(3)]
        finally:
            assert tracer.interrupt() == 0, tracer.describe()
        assert {(int(e.group(1)), int(e.group(2))) for e in events} == {(daemon_pid, daemon_pid)}
    finally:
        stop.write_text("stop")
    wait_gone(daemon_pid)
    assert sorted(runtime_dir.iterdir()) == []  # the daemon, the last user, removed it


def wait_gone(pid: int, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or time.monotonic() < deadline, f"process {pid} still running"


EXEC_SOURCE = '''\
import os
import sys
from tracers import tracer
from traced_harness import command, ready, say, wait_for_tracer, warm_up


@tracer
class Restarted:
    def generation(pid: int, n: int): ...


generation = int(sys.argv[1])
ready(Restarted)
say("files", *sorted(os.listdir(os.environ["TRACERS_RUNTIME_DIR"])))
if generation == 1:
    os.execv(sys.executable, [sys.executable, sys.argv[0], "2"])
wait_for_tracer(Restarted.generation)
warm_up(lambda: Restarted.generation.fire(os.getpid(), generation))
command()
'''


def test_a_program_that_execs_itself_keeps_working_probes(traced, bpftrace, expect_ready, runtime_dir: Path,
                                                           maps) -> None:
    process = traced(EXEC_SOURCE, "1", hook=False)
    first = expect_ready(process)
    first_files = process.expect(r"^files (.*)$").group(1).split()
    second = expect_ready(process)
    second_files = process.expect(r"^files (.*)$").group(1).split()
    assert first.group(1) == second.group(1) == str(process.pid)  # exec keeps the pid
    path = second.group(2).strip()
    assert first.group(2).strip() == path
    assert first_files == second_files == [os.path.basename(path)]  # no extra file
    assert set(maps(process.pid)) == {path}
    tracer = bpftrace(process.pid, f'usdt:{path}:restarted:generation {{ printf("%d %ld\\n", arg0, arg1); }}')
    try:
        event = tracer.expect(r"^(\d+) (\d+)$")
    finally:
        process.send("go")
        assert tracer.interrupt() == 0, tracer.describe()
    assert (int(event.group(1)), int(event.group(2))) == (process.pid, 2)
    process.send("quit")
    assert process.wait() == 0, process.describe()
    assert sorted(runtime_dir.iterdir()) == []


SWEEP_SOURCE = '''\
import os
import sys
import threading
import time
from tracers import tracer
import tracers.runtime.usdt._backend  # imported here: a fork while another thread imports hangs any Python child

started = threading.Event()


def define():
    started.set()

    @tracer
    class Sweeping:
        def x(a: int): ...


sweeper = threading.Thread(target=define)
sweeper.start()
started.wait()
children = []
while (sweeper.is_alive() and len(children) < 40) or len(children) < 5:
    child = os.fork()
    if child == 0:
        @tracer
        class InChild:  # needs the store's locks, which the sweeping thread may hold at the fork
            def y(b: int): ...

        sys.exit(0 if type(InChild.y.gate).__name__ == "c_ushort" else 1)  # exit handlers run
    children.append(child)
    time.sleep(0.01)
sweeper.join()
statuses = [os.waitpid(child, 0)[1] for child in children]
print("children", len(children), "failed", sum(1 for s in statuses if s != 0), flush=True)
'''


def test_a_fork_during_a_sweep_of_thirty_thousand_stale_files_does_not_hang(traced, runtime_dir: Path) -> None:
    runtime_dir.mkdir(mode=0o700)
    stale = [f"stale_{i}-{i:016x}.so" for i in range(30_000)]
    for name in stale:
        os.close(os.open(runtime_dir / name, os.O_CREAT | os.O_WRONLY, 0o600))
    process = traced(SWEEP_SOURCE, hook=False)
    assert process.wait(240) == 0, process.describe()
    line = process.stdout_lines()[-1].split()
    assert line[0] == "children" and int(line[1]) >= 5 and line[2:] == ["failed", "0"], line
    assert sorted(runtime_dir.iterdir()) == []  # every stale file swept, every object removed at exit


FORK_IN_SWEEP_SOURCE = '''\
import os
import sys
import threading
import time
from tracers import tracer
from tracers.runtime.usdt import _backend, _store

# A child that defined InChild and was killed: its object stays behind, unused.
first = os.fork()
if first == 0:
    @tracer
    class InChild:
        def y(b: int): ...

    os._exit(0)  # no exit handlers: the file stays
os.waitpid(first, 0)

# The sweep holds each stale file's exclusive lock while it scans /proc; on a
# busy machine that takes a while, and this program forks meanwhile.
scanning = threading.Event()
real_scan = _store.mapped_files


def slow_scan(*args, **kwargs):
    scanning.set()
    time.sleep(1.0)
    return real_scan(*args, **kwargs)


_store.mapped_files = slow_scan


def define():
    @tracer
    class Sweeping:
        def x(a: int): ...


sweeper = threading.Thread(target=define)
sweeper.start()
scanning.wait(60)
child = os.fork()  # while the sweeper holds the stale object's exclusive lock
if child == 0:
    _store.mapped_files = real_scan

    @tracer
    class InChild:  # the very object being swept
        def y(b: int): ...

    os._exit(0 if type(InChild.y.gate).__name__ == "c_ushort" else 1)
sweeper.join()
_, status = os.waitpid(child, 0)
print("child", os.WEXITSTATUS(status), flush=True)
'''


def test_a_child_forked_while_a_sweep_holds_a_file_does_not_inherit_its_lock(traced, runtime_dir: Path) -> None:
    runtime_dir.mkdir(mode=0o700)
    process = traced(FORK_IN_SWEEP_SOURCE, hook=False)
    assert process.wait(60) == 0, process.describe()
    assert process.stdout_lines()[-1] == "child 0", process.describe()


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
    assert Path(path).parent == runtime_dir
    assert report["mapped"] == [True]
    assert report["gate"] == "c_ushort"  # the semaphore, not the no-op backend's False
    assert not os.path.exists(path)  # removed when the child, its only user, exited
