"""Helpers imported by the programs that the usdt tests trace (not by pytest).

A traced program talks to its test through lines: it prints ``ready PID
PATH...`` once its providers are loaded and then whatever the test asks for;
it reads commands (``go``, ``status``, ``quit``...) from stdin. When stdin
closes (the test is gone) the program exits, so nothing is left behind.

No thread is started until a command is first read, so that programs may
fork before that.
"""
from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
from typing import Any, Callable, Optional

TIMEOUT = 120.0

_commands: "queue.Queue[Optional[str]]" = queue.Queue()
_reader: Optional[threading.Thread] = None


def say(*words: Any) -> None:
    print(*words, flush=True)


def object_path(provider: type) -> str:
    """The file the usdt backend wrote and loaded for ``provider``."""
    from tracers.runtime import backend

    spec = provider.__tracers_provider__  # type: ignore[attr-defined]
    for loaded in backend("usdt").loaded:
        if loaded.spec is spec:
            return loaded.path
    raise SystemExit(f"no usdt object for {spec.name}")


def mapped_inode(address: int) -> Optional[int]:
    """The inode of the file mapped at ``address`` in this process, from ``/proc/self/maps``."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            low, high = (int(end, 16) for end in fields[0].split("-"))
            if low <= address < high:
                return int(fields[4])
    return None


def ready(*providers: type) -> None:
    """Tell the test that the providers are loaded: ``ready PID PATH...``."""
    say("ready", os.getpid(), *(object_path(p) for p in providers))


def _read_stdin() -> None:
    for line in sys.stdin:
        _commands.put(line.strip())
    _commands.put(None)


def _start_reader() -> None:
    global _reader
    if _reader is None:
        _reader = threading.Thread(target=_read_stdin, daemon=True)
        _reader.start()


def poll_command(wait: float = 0.0) -> Optional[str]:
    """The next command if one arrives within ``wait`` seconds, else ``""``; stdin closed exits."""
    _start_reader()
    try:
        command = _commands.get(timeout=wait) if wait > 0 else _commands.get_nowait()
    except queue.Empty:
        return ""
    if command is None:
        os._exit(3)
    return command


def command(timeout: float = TIMEOUT) -> str:
    """Wait for the next command from the test."""
    found = poll_command(timeout)
    if not found:
        raise SystemExit("no command from the test")
    return found


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.001)


def wait_for_tracer(*probes: Any) -> None:
    """Wait until every probe's semaphore is raised (a tracer attached to it)."""
    wait_until(lambda: all(bool(p) for p in probes), "a tracer on " + ", ".join(map(repr, probes)))


def warm_up(fire_round: Callable[[], None], interval: float = 0.01) -> None:
    """Fire rounds until the test, having seen each probe's output, says ``go``.

    A raised semaphore does not prove that the tracer's handler is in place
    yet (the kernel raises it while registering the probe); a printed event does.
    """
    while True:
        fire_round()
        found = poll_command(interval)
        if found == "go":
            return
        if found:
            raise SystemExit(f"unexpected command {found!r}")


def encode(value: Any) -> Any:
    """A fired value as JSON (bytes tagged, since JSON has none)."""
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def report(word: str, data: Any) -> None:
    say(word, json.dumps(data, default=encode, ensure_ascii=True))
