"""``python -m tracers trace``: watch a live program's probes by name, through bpftrace.

The probes are found in the objects running processes map (``--pid`` for one
process, otherwise every process whose memory maps can be read), selected by
``PROVIDER[:PROBE]`` patterns, and attached by the object's path: a process
that maps the same object later is traced too.  bpftrace prints one tagged
line per event (see ``_trace_program``); this command turns it into a line of
text or a JSON object, stops after ``--count`` events, ``--duration``
seconds or Ctrl-C, and ends with the number of events per probe.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator, Optional, Sequence

from . import EXIT_FAILED, EXIT_OK
from ._trace_program import Event, Selected, StackArgumentsUnreadable, parse, program, string_length

EPILOG = """\
Patterns match PROVIDER or PROVIDER:PROBE with shell wildcards (* ? [..]);
no pattern selects every probe found. Each event is one line:
  TIME pid PID tid TID PROVIDER:PROBE name=value ...
(text quoted, bytes shown as b'...', None for an absent Optional text or
bytes), or with --json one object per line: {"time": seconds since the
epoch, "pid", "tid", "provider", "probe", "args": {name: value}} where bytes
are hexadecimal strings; "truncated" names values cut at the length bpftrace
reads. The last line counts the events of each probe (with --json:
{"summary": {"PROVIDER:PROBE": count}, "events": total}).

exit status: 0 traced (stopped by --count, --duration, Ctrl-C or the end of
the traced process); 1 nothing to trace, or bpftrace missing, not permitted
or failing (one line says which, and the fix); 2 usage error."""

TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
_CAP_SYS_ADMIN, _CAP_PERFMON, _CAP_BPF = 21, 38, 39
_HARMLESS = ("couldn't set RLIMIT_MEMLOCK",)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patterns", nargs="*", metavar="PROVIDER[:PROBE]",
                        help="probes to trace, wildcards allowed (default: every probe found)")
    parser.add_argument("--pid", type=int, help="trace this process only (default: every process that has them)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event")
    parser.add_argument("--count", type=_positive(int), metavar="N", help="stop after N events")
    parser.add_argument("--duration", type=_positive(float), metavar="SECONDS", help="stop after this long")
    parser.add_argument("--program", action="store_true", help="print the bpftrace program instead of running it")
    parser.epilog = EPILOG


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value
    return convert


def main(options: argparse.Namespace) -> int:
    from ..runtime.usdt._discover import ProcessUnreadable, objects_everywhere, objects_of_process
    from ..runtime.usdt._elf import host_machine

    bpftrace = shutil.which("bpftrace")
    if not options.program:
        problem = _environment_problem(bpftrace)
        if problem:
            return _fail(problem)
    try:
        found, refused = objects_of_process(options.pid) if options.pid is not None else objects_everywhere()
    except ProcessUnreadable as problem:
        return _fail(str(problem))
    for line in refused:
        print(f"tracers trace: refused {line}", file=sys.stderr)
    selected = select(found, options.patterns)
    if not selected:
        where = f"process {options.pid}" if options.pid is not None else "no running process you may read"
        wanted = " ".join(options.patterns) or "any probe"
        return _fail(f"{where} has probes matching {wanted} loaded; start the program with TRACERS=usdt "
                     f"(or python -m tracers run --backend usdt), or check the names with python -m tracers list")
    strlen = string_length(selected)
    try:
        text = program(selected, host_machine() or "", strlen)
    except StackArgumentsUnreadable as problem:
        return _fail(str(problem))
    if options.program:
        sys.stdout.write(text)
        return EXIT_OK
    assert bpftrace is not None
    return _run(bpftrace, text, selected, strlen, options)


def select(found: Sequence[Any], patterns: Sequence[str]) -> list[Selected]:
    """Every probe of the found objects that a pattern names (all of them without patterns)."""
    wanted = [pattern if ":" in pattern else pattern + ":*" for pattern in patterns] or ["*:*"]
    selected = []
    for item in found:
        for probe in item.provider.probes:
            label = f"{item.provider.name}:{probe.name}"
            if any(fnmatch.fnmatchcase(label, pattern) for pattern in wanted):
                selected.append(Selected(item.path, item.provider.name, probe))
    return selected


def _environment_problem(bpftrace: Optional[str]) -> Optional[str]:
    """Why bpftrace cannot run here, with the fix, or None."""
    if bpftrace is None:
        return "bpftrace is not installed; install it (Debian: apt-get install bpftrace)"
    if not _may_trace():
        return ("tracing needs root (or the CAP_BPF and CAP_PERFMON capabilities); "
                "run it with sudo: sudo python -m tracers trace ...")
    if not any(os.path.ismount(path) for path in TRACEFS):
        return "tracefs is not mounted; mount it: sudo mount -t tracefs nodev /sys/kernel/tracing"
    return None


def _may_trace() -> bool:
    """Whether this process has the capabilities bpftrace needs (root normally has them all)."""
    try:
        with open("/proc/self/status") as status:
            effective = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
    except (OSError, StopIteration, ValueError):
        return False
    def has(bit: int) -> bool:
        return bool(effective >> bit & 1)

    return has(_CAP_SYS_ADMIN) or (has(_CAP_BPF) and has(_CAP_PERFMON))


def _fail(message: str) -> int:
    print(f"tracers trace: {message}", file=sys.stderr)
    return EXIT_FAILED


class _Interrupted:
    """Ctrl-C as a flag that the read loop checks every 0.2 s.

    A KeyboardInterrupt raised while ``queue.Queue.get`` holds its lock
    breaks the queue ("release unlocked lock"), so SIGINT must not raise
    there; setting an attribute takes no lock, even if a second Ctrl-C
    lands while the first is being handled.
    """

    def __init__(self) -> None:
        self.seen = False
        # Signals reach the main thread only: from another, there is nothing to take over.
        self._owner = threading.current_thread() is threading.main_thread()
        self._previous = signal.signal(signal.SIGINT, self) if self._owner else None

    def __call__(self, signum: int, frame: Any) -> None:
        self.seen = True

    def restore(self) -> None:
        if self._owner:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)


def _run(bpftrace: str, text: str, selected: list[Selected], strlen: int, options: argparse.Namespace) -> int:
    interrupted = _Interrupted()
    try:
        return _follow(bpftrace, text, selected, strlen, options, interrupted)
    finally:
        interrupted.restore()


def _follow(bpftrace: str, text: str, selected: list[Selected], strlen: int, options: argparse.Namespace,
            interrupted: _Interrupted) -> int:
    argv = [bpftrace, *(["-p", str(options.pid)] if options.pid is not None else []), "-e", text]
    env = dict(os.environ, BPFTRACE_STRLEN=str(strlen))
    # A session of its own: Ctrl-C reaches this command, which stops bpftrace itself.
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, text=True, errors="replace", start_new_session=True)
    lines: queue.Queue[Optional[str]] = queue.Queue()
    errors: list[str] = []
    threading.Thread(target=_pump, args=(process.stdout, lines.put), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, errors.append), daemon=True).start()
    counts = {f"{s.provider}:{s.probe.name}": 0 for s in selected}
    show = _json_line if options.json else _text_line
    offset = time.time_ns() - time.monotonic_ns()  # bpftrace's nsecs is CLOCK_MONOTONIC
    attached = False
    try:
        for line in _lines_until(lines, options, lambda: attached, interrupted):
            if line.startswith("Attaching "):
                attached = True
                print(f"tracers trace: {line.strip()} Ctrl-C to stop.", file=sys.stderr, flush=True)
                continue
            event = parse(line, selected, strlen)
            if event is None:
                continue
            counts[f"{event.selected.provider}:{event.selected.probe.name}"] += 1
            print(show(event, offset), flush=True)
            if options.count is not None and sum(counts.values()) >= options.count:
                break
    finally:
        _stop(process)
    status = process.returncode
    problems = [e.strip() for e in errors if e and e.strip() and not any(h in e for h in _HARMLESS)]
    if not attached and status not in (0, -signal.SIGINT):
        return _fail(_bpftrace_failure(problems, status))
    _summary(counts, options.json)
    return EXIT_OK


def _pump(stream: Any, put: Callable[[Optional[str]], None]) -> None:
    for line in iter(stream.readline, ""):
        put(line)
    put(None)


def _lines_until(lines: queue.Queue[Optional[str]], options: argparse.Namespace,
                 attached: Callable[[], bool], interrupted: _Interrupted) -> Iterator[str]:
    """bpftrace's output lines until it ends, Ctrl-C, or --duration (counted from the attachment) passes."""
    deadline: Optional[float] = None
    while not interrupted.seen:
        if deadline is None and options.duration is not None and attached():
            deadline = time.monotonic() + options.duration
        wait = 0.2 if deadline is None else min(0.2, max(0.0, deadline - time.monotonic()))
        try:
            line = lines.get(timeout=wait)
        except queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                return
            continue
        if line is None:
            return
        yield line


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGINT, repeated (bpftrace 0.17 misses one that lands while it handles events), then SIGKILL."""
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(0.5)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        process.kill()
        process.wait()


def _bpftrace_failure(problems: list[str], status: Optional[int]) -> str:
    text = " ".join(problems[-3:]) or f"bpftrace exited with status {status}"
    if "Operation not permitted" in text or "permission" in text.lower():
        return f"bpftrace was not permitted to attach ({text}); run it as root: sudo python -m tracers trace ..."
    return f"bpftrace failed: {text}"


def _value_text(value: Any) -> str:
    return repr(value) if isinstance(value, (str, bytes)) or value is None else str(value)


def _text_line(event: Event, offset: int) -> str:
    seconds, nanos = divmod(event.nsecs + offset, 1_000_000_000)
    stamp = time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{nanos // 1000:06d}"
    cut = set(event.truncated)
    args = " ".join(f"{arg.name}={_value_text(value)}{'…' if arg.name in cut else ''}"
                    for arg, value in zip(event.selected.probe.args, event.values))
    label = f"{event.selected.provider}:{event.selected.probe.name}"
    return f"{stamp} pid {event.pid} tid {event.tid} {label}{' ' + args if args else ''}"


def _json_line(event: Event, offset: int) -> str:
    data: dict[str, Any] = {
        "time": (event.nsecs + offset) / 1e9, "pid": event.pid, "tid": event.tid,
        "provider": event.selected.provider, "probe": event.selected.probe.name,
        "args": {arg.name: value.hex() if isinstance(value, bytes) else value
                 for arg, value in zip(event.selected.probe.args, event.values)},
    }
    if event.truncated:
        data["truncated"] = list(event.truncated)
    return json.dumps(data, ensure_ascii=False)


def _summary(counts: dict[str, int], as_json: bool) -> None:
    total = sum(counts.values())
    if as_json:
        print(json.dumps({"summary": counts, "events": total}), flush=True)
        return
    print(f"{total} event{'s' if total != 1 else ''}: " + ", ".join(f"{label} {n}" for label, n in counts.items()),
          flush=True)
