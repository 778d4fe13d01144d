"""``python -m tracers trace`` against running programs, with the real bpftrace.

The traced program fires warm-up events (tag 0) until the test has seen one
through ``trace``, which proves the probes are attached, then a known list of
values with tags 1, 2, ...; the test compares what ``trace`` printed, in text
and in JSON, with what the program reports it fired.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any, Dict, List

import pytest

from conftest import REPO, child_env, require_root, require_tool, require_tracefs

SOURCE = '''\
import json
import os
from typing import Optional
from tracers import tracer, I16, U8, U32
from traced_harness import command, poll_command, ready, report, wait_for_tracer


@tracer
class Traced:
    def values(tag: U32, number: int, small: I16, flag: bool, level: U8): ...
    def text(tag: U32, word: str, maybe: Optional[str], blob: bytes, maybe_blob: Optional[bytes]): ...
    def wide(tag: U32, a: int, b: int, c: int, d: int, e: int, f: int, g: str, h: int, i: I16): ...


CASES = [
    ("values", (-1, -300, True, 200)),
    ("values", (2**63 - 1, 32767, False, 0)),
    ("text", ("héllo ✓", None, b"\\x00\\x01jobs\\xff", None)),
    ("text", ("tab\\there\\nnewline", "present", b"", b"a\\\\x41b")),
    ("wide", (1, 2, 3, 4, 5, 6, "seventh and later on the stack", -8, -9)),
]


def fire(tag, name, args):
    getattr(Traced, name).fire(tag, *args)


ready(Traced)
wait_for_tracer(Traced.values, Traced.text, Traced.wide)
while poll_command(0.01) != "go":
    for name, args in CASES:
        fire(0, name, args)
for index, (name, args) in enumerate(CASES, start=1):
    fire(index, name, args)
report("fired", [[index, name, list(args)] for index, (name, args) in enumerate(CASES, start=1)])
command()
'''


def decode(value: Any) -> Any:
    return bytes.fromhex(value["bytes"]) if isinstance(value, dict) else value


def trace_command(*args: str) -> List[str]:
    return [sys.executable, "-m", "tracers", "trace", *args]


@pytest.fixture
def tracer_tools() -> None:
    require_tool("bpftrace")
    require_root("bpftrace")
    require_tracefs()


@pytest.mark.usefixtures("tracer_tools")
@pytest.mark.parametrize("form", ["text", "json"])
def test_trace_prints_exactly_the_values_fired(traced, spawn, expect_ready, form: str) -> None:
    program = traced(SOURCE, hook=False)
    pid = int(expect_ready(program).group(1))
    options = ["--json"] if form == "json" else []
    watcher = spawn(trace_command("traced", "--pid", str(pid), *options), child_env(), "trace")
    warm = r'"tag": 0[,}]' if form == "json" else r" tag=0 "
    watcher.expect(warm)
    program.send("go")
    fired = json.loads(program.expect(r"^fired (.*)$").group(1))
    lines: Dict[int, str] = {}

    def measured() -> bool:
        for line in watcher.stdout_lines():
            tag = (json.loads(line)["args"]["tag"] if line.startswith("{") and '"args"' in line
                   else int(m.group(1)) if (m := re.search(r" tag=(\d+) ", line)) else 0)
            if tag:
                lines[tag] = line
        return len(lines) == len(fired)

    watcher.wait_until(measured, "every measured event")
    assert watcher.interrupt() == 0, watcher.describe()
    program.send("quit")
    assert program.wait() == 0, program.describe()

    for tag, name, args in fired:
        values = [tag, *map(decode, args)]
        probe_args = {"values": ["tag", "number", "small", "flag", "level"],
                      "text": ["tag", "word", "maybe", "blob", "maybe_blob"],
                      "wide": ["tag", "a", "b", "c", "d", "e", "f", "g", "h", "i"]}[name]
        if name == "values":
            values[4] = values[4] % 256  # U8 wraps, as documented
        line = lines[tag]
        if form == "json":
            event = json.loads(line)
            assert (event["pid"], event["tid"], event["provider"], event["probe"]) == (pid, pid, "traced", name)
            shown = [bytes.fromhex(v) if isinstance(v, str) and probe_args[i] in ("blob", "maybe_blob") else v
                     for i, v in enumerate(event["args"].values())]
            assert list(event["args"]) == probe_args
            assert shown == values, line
            assert "truncated" not in event
        else:
            expected = " ".join(f"{n}={v!r}" if isinstance(v, (str, bytes)) or v is None else f"{n}={v}"
                                for n, v in zip(probe_args, values))
            assert re.fullmatch(rf"\d\d:\d\d:\d\d\.\d{{6}} pid {pid} tid {pid} traced:{name} ", line[:len(line)
                                - len(expected)]), line
            assert line.endswith(expected), (line, expected)
    summary = watcher.stdout_lines()[-1]
    if form == "json":
        counts = json.loads(summary)
        assert set(counts["summary"]) == {"traced:values", "traced:text", "traced:wide"}
        assert counts["events"] == sum(counts["summary"].values()) >= len(fired)
    else:
        assert re.fullmatch(r"\d+ events: traced:values \d+, traced:text \d+, traced:wide \d+", summary), summary


LOOP = '''\
import os
import time
from tracers import tracer
from traced_harness import poll_command, ready


@tracer
class Loop:
    def beat(pid: int, n: int): ...


ready(Loop)
n = 0
while poll_command(0.02) != "quit":
    n += 1
    if Loop.beat:
        Loop.beat.fire(os.getpid(), n)
'''


@pytest.mark.usefixtures("tracer_tools")
def test_trace_without_pid_follows_every_process_that_has_the_probes(traced, spawn, expect_ready) -> None:
    first = traced(LOOP, hook=False, name="first")
    second = traced(LOOP, hook=False, name="second")
    pids = {int(expect_ready(first).group(1)), int(expect_ready(second).group(1))}
    watcher = spawn(trace_command("loop:beat", "--json"), child_env(), "trace")
    seen: set = set()

    def both() -> bool:
        for line in watcher.stdout_lines():
            event = json.loads(line)
            if "args" in event:
                assert event["pid"] == event["args"]["pid"]  # each process reports its own pid
                seen.add(event["pid"])
        return seen >= pids

    watcher.wait_until(both, "events of both processes")
    assert watcher.interrupt() == 0, watcher.describe()
    assert json.loads(watcher.stdout_lines()[-1])["summary"]["loop:beat"] >= 2
    for process in (first, second):
        process.send("quit")
        assert process.wait() == 0


@pytest.mark.usefixtures("tracer_tools")
@pytest.mark.parametrize("stop", ["count", "duration", "SIGINT", "SIGINT repeated"])
def test_count_duration_and_interrupt_end_with_the_counts(traced, spawn, expect_ready, stop: str) -> None:
    """Ctrl-C pressed again while trace stops bpftrace still ends it cleanly, with the counts."""
    program = traced(LOOP, hook=False)
    pid = expect_ready(program).group(1)
    options = {"count": ["--count", "5"], "duration": ["--duration", "1.5"]}.get(stop, [])
    watcher = spawn(trace_command("loop", "--pid", pid, *options), child_env(), "trace")
    if stop.startswith("SIGINT"):
        watcher.expect(r" loop:beat ")
        for _ in range(8 if stop == "SIGINT repeated" else 1):
            if watcher.popen.poll() is None:
                watcher.popen.send_signal(signal.SIGINT)  # what Ctrl-C sends
                time.sleep(0.03)
    assert watcher.wait(60) == 0, watcher.describe()
    lines = watcher.stdout_lines()
    events = [line for line in lines if " loop:beat pid=" in line]
    assert lines[-1] == f"{len(events)} event{'s' if len(events) != 1 else ''}: loop:beat {len(events)}", lines
    if stop == "count":
        assert len(events) == 5
    else:
        assert events, watcher.describe()
    assert "Traceback" not in watcher.stderr_text()
    program.send("quit")
    assert program.wait() == 0


def run_trace(*args: str, env: Dict[str, str], prefix: List[str] = ()) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([*prefix, *trace_command(*args)], env=env, capture_output=True, text=True, timeout=120)


def test_trace_error_lines(traced, expect_ready, tmp_path) -> None:
    """Each problem is one line on stderr that says what to do, and exit status 1."""
    env = child_env()
    bpftrace = require_tool("bpftrace")
    require_root("the privilege checks")

    no_bpftrace = dict(env, PATH=str(tmp_path))  # a PATH where bpftrace is not
    result = run_trace("x", env=no_bpftrace)
    assert (result.returncode, result.stderr) == (
        1, "tracers trace: bpftrace is not installed; install it (Debian: apt-get install bpftrace)\n")

    unprivileged = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]  # root, but with no capability
    result = run_trace("x", env=env, prefix=unprivileged)
    assert result.returncode == 1 and result.stderr.startswith("tracers trace: tracing needs root"), result.stderr
    assert "sudo" in result.stderr and len(result.stderr.splitlines()) == 1

    # tracefs unmounted in a mount namespace of the command's own: the machine keeps its mount.
    unmount = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; exec "$@"', "-"]
    result = run_trace("x", env=env, prefix=unmount)
    assert (result.returncode, result.stderr) == (
        1, "tracers trace: tracefs is not mounted; mount it: sudo mount -t tracefs nodev /sys/kernel/tracing\n")

    result = run_trace("no_such_provider_anywhere", env=env)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("tracers trace: no running process you may read has probes matching "
                                    "no_such_provider_anywhere loaded; start the program with TRACERS=usdt")

    result = run_trace("x", "--pid", "999999999", env=env)
    assert (result.returncode, result.stderr) == (1, "tracers trace: process 999999999 does not exist\n")
    assert bpftrace


def test_arguments_past_arg5_are_read_from_the_stack_on_x86_64(traced, expect_ready) -> None:
    """bpftrace 0.17 reads arg0-arg5; the program trace makes reads the rest where the note says they are."""
    program = traced(SOURCE, hook=False)
    pid = expect_ready(program).group(1)
    result = run_trace("traced:wide", "--pid", pid, "--program", env=child_env())
    program.kill()
    assert result.returncode == 0, result.stderr
    if os.uname().machine != "x86_64":
        pytest.skip("the stack layout is read on x86_64 only")
    # wide(tag, a, b, c, d, e, f, g: str, h, i: I16): f is the seventh USDT argument, at 8(%rsp).
    assert '*(int64*)(reg("sp") + 8)' in result.stdout
    assert 'buf(str(*(uint64*)(reg("sp") + 16)), ' in result.stdout
    assert '*(int64*)(reg("sp") + 24)' in result.stdout and '*(int16*)(reg("sp") + 32)' in result.stdout
    assert not re.search(r"\barg([6-9]|1\d)\b", result.stdout)


def test_trace_help() -> None:
    result = subprocess.run(trace_command("--help"), env=child_env(), capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m tracers trace ")
    assert "exit status:" in result.stdout


@pytest.mark.usefixtures("tracer_tools")
def test_the_main_demo_traces_every_worker_with_one_command(tmp_path) -> None:
    """examples/trace_demo.py: three pool workers of one service, one trace command, no --pid."""
    env = child_env({"TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    result = subprocess.run([sys.executable, str(REPO / "examples" / "trace_demo.py")], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    events = re.findall(r" pid (\d+) tid \d+ jobs:done worker=(\d+) job=\d+ result='job \d+ done by (\d+)'$",
                        result.stdout, re.M)
    assert len(events) == 12
    assert all(pid == worker == by for pid, worker, by in events)  # each event is its own worker's
    assert len({pid for pid, _, _ in events}) == 3, result.stdout
    assert "12 events from 3 worker processes" in result.stdout
