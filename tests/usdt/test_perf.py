"""perf, Linux's own profiler, reads tracers' probes: the object carries a GNU
build-id, so ``perf buildid-cache --add`` takes it, ``perf probe`` makes an
event of each probe (with the semaphore as its reference counter), and
``perf record`` captures exactly the events fired, with their arguments.
"""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, List

from conftest import TIMEOUT, require_root, require_tool, require_tracefs

PROGRAM = '''\
from tracers import I16, U32, tracer
from traced_harness import command, ready, say, wait_for_tracer


@tracer(provider="{provider}")
class PerfChecked:
    def event(n: int, small: I16, big: U32, flag: bool): ...


ready(PerfChecked)
wait_for_tracer(PerfChecked.event)  # perf's event holds the semaphore while it exists
count = int(command())
fired = 0
for n in range(count):
    if PerfChecked.event:
        PerfChecked.event.fire(n - count // 2, -n, 4_000_000_000 + n, n % 3 == 0)
        fired += 1
say("fired", fired)
command()
'''

COUNT = 250
WIDTHS = (64, 16, 32, 8)  # n: int, small: I16, big: U32, flag: bool


def expected(count: int) -> List[List[int]]:
    return [[n - count // 2, -n, 4_000_000_000 + n, int(n % 3 == 0)] for n in range(count)]


def bits(values: List[int]) -> List[int]:
    """Each value as its width's bit pattern: perf may show a signed field either way."""
    return [value & ((1 << width) - 1) for value, width in zip(values, WIDTHS)]


def perf(perf_path: str, env: Dict[str, str], *args: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([perf_path, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)


def control(fifo: Path, ack: Path, command: str) -> None:
    """Send perf record a control command and wait for its acknowledgement."""
    deadline = time.monotonic() + TIMEOUT
    while True:  # perf opens its end once it has set up
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("perf record never opened its control FIFO") from None
            time.sleep(0.05)
    reader = os.open(ack, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.write(writer, f"{command}\n".encode())
        ready, _, _ = select.select([reader], [], [], TIMEOUT)
        assert ready and os.read(reader, 64).startswith(b"ack"), f"perf record did not acknowledge {command!r}"
    finally:
        os.close(writer)
        os.close(reader)


def test_perf_records_exactly_the_events_fired(traced, spawn, expect_ready, tmp_path: Path) -> None:
    perf_path = require_tool("perf")
    require_root("perf probe")
    require_tracefs()
    provider = f"perf_checked_{os.getpid()}_{os.urandom(3).hex()}"  # perf's events are global: one name per run
    event = f"sdt_{provider}:event"
    home = tmp_path / "home"  # perf keeps its build-id cache under $HOME/.debug: this test's own
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}

    program = traced(PROGRAM.format(provider=provider), hook=False)
    started = expect_ready(program)
    pid, path = int(started.group(1)), started.group(2).strip()
    added = perf(perf_path, env, "buildid-cache", "--add", path)
    assert added.returncode == 0, added.stderr  # a build-id note: perf takes the object
    try:
        cached = perf(perf_path, env, "buildid-cache", "--list")
        assert any(line.split()[-1:] == [path] for line in cached.stdout.splitlines()), (added, cached)
        probed = perf(perf_path, env, "probe", "-x", path, "-a", event)
        assert probed.returncode == 0, probed.stderr
        try:
            recorded = record(perf_path, env, spawn, program, event, tmp_path)
        finally:
            deleted = perf(perf_path, env, "probe", "-d", event)
            assert deleted.returncode == 0, deleted.stderr
        with open("/sys/kernel/tracing/uprobe_events") as events:
            assert f"sdt_{provider}/" not in events.read()  # the probe event is gone
    finally:
        removed = perf(perf_path, env, "buildid-cache", "--remove", path)
        assert removed.returncode == 0, removed.stderr
    assert path not in perf(perf_path, env, "buildid-cache", "--list").stdout
    program.send("quit")
    assert program.wait() == 0, program.describe()

    events = [values for event_pid, values in recorded if event_pid == pid]
    assert len(events) == COUNT  # every event fired, and nothing else
    assert [bits(values) for values in events] == [bits(values) for values in expected(COUNT)]


def record(perf_path: str, env: Dict[str, str], spawn, program, event: str, tmp_path: Path) -> List:
    """Run ``perf record -e EVENT -a`` around the program's firing; the (pid, arguments) of each event."""
    fifo, ack, data = tmp_path / "control", tmp_path / "ack", tmp_path / "perf.data"
    os.mkfifo(fifo)
    os.mkfifo(ack)
    # Events start disabled and are enabled through the control FIFO: once perf acknowledges,
    # every event fired is recorded (a raised semaphore alone says the probe is registered).
    recorder = spawn([perf_path, "record", "-N", "-D", "-1", "--control", f"fifo:{fifo},{ack}", "-e", event, "-a",
                      "-o", str(data)], env, "perf record")
    try:
        recorder.expect(r"Events disabled", stream="err")
        control(fifo, ack, "enable")
        program.send(str(COUNT))
        assert int(program.expect(r"^fired (\d+)$").group(1)) == COUNT
    finally:
        # perf record writes its data, then ends by the SIGINT it caught, as a shell expects.
        assert recorder.interrupt() in (0, -signal.SIGINT), recorder.describe()
    assert "Captured and wrote" in recorder.stderr_text(), recorder.describe()
    script = perf(perf_path, env, "script", "-i", str(data), "-F", "pid,event,trace")
    assert script.returncode == 0, script.stderr
    found = []
    for line in script.stdout.splitlines():
        match = re.match(rf"^\s*(\d+)\s+{re.escape(event)}:", line)
        if match:
            values = dict(re.findall(r"\barg(\d+)=(\S+)", line))
            found.append((int(match.group(1)), [int(values[str(i)], 0) for i in range(1, len(WIDTHS) + 1)]))
    return found
