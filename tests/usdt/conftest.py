"""Fixtures for tests that attach real tracers (bpftrace, gdb, tplist) to traced programs.

Every process a test starts goes through the ``spawn`` fixture, which reads its
output in background threads (so a test can wait for a line without sleeping)
and kills whatever is still running when the test ends, pass or fail.

A missing tool, a missing tracefs or a non-root user skips these tests on a
developer machine and fails them in CI (``CI`` set), where they must run.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Pattern, Sequence, Union

import pytest
from prerequisites import require_tool, unavailable  # noqa: F401  (the tests import them from here)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TRACEFS = "/sys/kernel/tracing"

#: Seconds to wait for any one thing (a line, an exit); generous for a busy 2-core machine.
TIMEOUT = 60.0


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        unavailable(f"{what} needs root")


def require_tracefs() -> None:
    """bpftrace attaches uprobes through tracefs; mount it if we may."""
    if not os.path.ismount(TRACEFS) and os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], capture_output=True)
    if not os.path.ismount(TRACEFS):
        unavailable(f"tracefs is not mounted at {TRACEFS} "
                    f"(mount -t tracefs nodev {TRACEFS})")


def child_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a traced program: the repo and the harness importable, no inherited TRACERS*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(HERE)])
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


def kernel_view(pid: int) -> str:
    """What the kernel says a stuck process is doing: per thread, its state, signals and wait channel."""
    report = []
    try:
        for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
            base = f"/proc/{pid}/task/{tid}"
            with open(f"{base}/status") as status:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)
            try:
                with open(f"{base}/wchan") as wchan:
                    channel = wchan.read()
            except OSError:
                channel = "?"
            try:
                with open(f"{base}/stack") as stack:
                    kernel_stack = " < ".join(line.split()[-1] for line in stack.read().splitlines()[:6])
            except OSError:
                kernel_stack = "?"
            report.append(f"  thread {tid} {fields.get('Name')} {fields.get('State')} wchan={channel} "
                          f"SigPnd={fields.get('SigPnd')} ShdPnd={fields.get('ShdPnd')} "
                          f"SigBlk={fields.get('SigBlk')} SigIgn={fields.get('SigIgn')} "
                          f"SigCgt={fields.get('SigCgt')} stack={kernel_stack}")
    except OSError as problem:
        report.append(f"  (cannot read /proc/{pid}: {problem})")
    return "\n".join(report)


class _Lines:
    """Lines of one output stream, collected by a background thread."""

    def __init__(self, stream) -> None:
        self.lines: List[bytes] = []
        self.closed = False
        self._ready = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        try:
            for line in iter(stream.readline, b""):
                with self._ready:
                    self.lines.append(line.rstrip(b"\n"))
                    self._ready.notify_all()
        finally:
            with self._ready:
                self.closed = True
                self._ready.notify_all()

    def wait(self, found: Callable[[int], Optional[object]], timeout: float) -> Optional[object]:
        """Call ``found(number_of_lines)`` each time lines arrive until it returns something."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while True:
                result = found(len(self.lines))
                if result is not None or self.closed:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._ready.wait(min(left, 0.5))

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def text(line: bytes) -> str:
    return line.decode("utf-8", "surrogateescape")


class Process:
    """A child process whose stdout and stderr are read line by line."""

    def __init__(self, argv: Sequence[str], env: Dict[str, str], name: str, cwd: Optional[str] = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
        self.out = _Lines(self.popen.stdout)
        self.err = _Lines(self.popen.stderr)
        self._cursor = {"out": 0, "err": 0}

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stdout_lines(self) -> List[str]:
        return [text(line) for line in self.out.lines]

    def stderr_text(self) -> str:
        return "\n".join(text(line) for line in self.err.lines)

    def describe(self) -> str:
        state = self.popen.poll()
        return (f"{self.name} (pid {self.pid}, {'running' if state is None else f'exit {state}'})\n"
                f"  argv: {self.argv}\n"
                "--- stdout ---\n" + "\n".join(self.stdout_lines()[-60:]) +
                "\n--- stderr ---\n" + "\n".join(self.stderr_text().splitlines()[-60:]))

    def expect(self, pattern: Union[str, Pattern[str]], timeout: float = TIMEOUT,
               stream: str = "out") -> "re.Match[str]":
        """Wait for the next line (after the last one matched) that matches ``pattern``."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        lines = self.out if stream == "out" else self.err

        def found(count: int) -> Optional["re.Match[str]"]:
            while self._cursor[stream] < count:
                match = regex.search(text(lines.lines[self._cursor[stream]]))
                self._cursor[stream] += 1
                if match:
                    return match
            return None

        match = lines.wait(found, timeout)
        if match is None:
            raise AssertionError(f"no line matching {regex.pattern!r} on std{stream} "
                                 f"within {timeout:.0f} s from {self.describe()}")
        return match  # type: ignore[return-value]

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
        """Wait for output-derived state (checked as stdout lines arrive)."""
        if self.out.wait(lambda _: True if condition() else None, timeout) is None and not condition():
            raise AssertionError(f"{what}: not seen within {timeout:.0f} s from {self.describe()}")

    def send(self, line: str) -> None:
        try:
            assert self.popen.stdin is not None
            self.popen.stdin.write(line.encode() + b"\n")
            self.popen.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for exit and for all of its output."""
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"did not exit within {timeout:.0f} s: {self.describe()}\n"
                                 f"{kernel_view(self.pid)}") from None
        self.out.join(timeout)
        self.err.join(timeout)
        return code

    def interrupt(self, timeout: float = TIMEOUT) -> int:
        """SIGINT (what Ctrl-C sends; bpftrace prints its maps and exits), then wait.

        The signal is repeated every second until the process exits: bpftrace
        0.17 only notices SIGINT when it interrupts its epoll_wait, so one that
        lands while it is handling events is missed and, once the traced
        program is quiet, it would wait forever.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is None:
                self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(max(0.1, min(1.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise AssertionError(f"did not exit within {timeout:.0f} s of SIGINT: {self.describe()}\n"
                                         f"{kernel_view(self.pid)}") from None
        return self.wait(timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)  # its own session: the program and its children
            except OSError:
                self.popen.kill()
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


class Tracer(Process):
    """bpftrace attached to one process."""

    def attached(self, timeout: float = TIMEOUT) -> None:
        """Wait for 'Attaching N probes...' (bpftrace 0.17 prints it on stdout, others on stderr).

        Probes may still be attaching when it is printed; tests that must not
        lose an event also wait for the probe's semaphore or a first event.
        """
        regex = re.compile(r"^Attaching \d+ probes?\.\.\.")
        deadline = time.monotonic() + timeout
        while True:
            if any(regex.search(text(line)) for lines in (self.out, self.err) for line in list(lines.lines)):
                return
            if self.out.closed and self.err.closed or time.monotonic() > deadline:
                raise AssertionError(f"bpftrace did not attach within {timeout:.0f} s: {self.describe()}")
            self.out.wait(lambda count: None, 0.1)

    def events(self) -> List[bytes]:
        """stdout lines without bpftrace's own messages and blank lines."""
        return [line for line in list(self.out.lines) if line and not line.startswith(b"Attaching ")]


@pytest.fixture
def spawn() -> Iterator[Callable[..., Process]]:
    """Start a process; every process still running when the test ends is killed."""
    started: List[Process] = []

    def start(argv: Sequence[str], env: Optional[Dict[str, str]] = None, name: str = "",
              kind: type = Process, cwd: Optional[str] = None) -> Process:
        process = kind(argv, env if env is not None else dict(os.environ), name or os.path.basename(argv[0]), cwd)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.kill()


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    """A runtime directory of this test's own (created by the backend on first use)."""
    return tmp_path / "runtime"


@pytest.fixture
def traced(spawn: Callable[..., Process], tmp_path: Path, runtime_dir: Path) -> Callable[..., Process]:
    """Start a Python program with the usdt backend.

    ``traced(source)`` writes ``source`` next to the test and runs it with
    ``python -m tracers run --backend usdt`` (the import hook rewrites its
    ``probe(...)`` statements); ``hook=False`` runs it with plain ``python``
    and ``TRACERS=usdt``.  ``script=`` runs an existing file instead.
    """
    counter = [0]

    def start(source: Optional[str] = None, *args: str, hook: bool = True, script: Optional[Path] = None,
              env: Optional[Dict[str, str]] = None, name: str = "") -> Process:
        if script is None:
            assert source is not None
            counter[0] += 1
            script = tmp_path / f"traced_{counter[0]}.py"
            script.write_text(source, encoding="utf-8")
        variables = {"TRACERS_RUNTIME_DIR": str(runtime_dir)}
        if hook:
            argv = [sys.executable, "-m", "tracers", "run", "--backend", "usdt", str(script), *args]
        else:
            argv = [sys.executable, str(script), *args]
            variables["TRACERS"] = "usdt"
        variables.update(env or {})
        return spawn(argv, child_env(variables), name or script.name, cwd=str(tmp_path))

    return start


@pytest.fixture
def bpftrace(spawn: Callable[..., Process]) -> Callable[[Optional[int], str], Tracer]:
    """``bpftrace(pid, program)`` starts bpftrace attached to ``pid``, or by the
    program's paths alone when ``pid`` is None (waiting for it to attach)."""
    path = require_tool("bpftrace")
    require_root("bpftrace")
    require_tracefs()

    def start(pid: Optional[int], program: str, wait: bool = True) -> Tracer:
        where = ["-p", str(pid)] if pid is not None else []
        tracer = spawn([path, *where, "-e", program], dict(os.environ), "bpftrace", Tracer)
        assert isinstance(tracer, Tracer)
        if wait:
            tracer.attached()
        return tracer

    return start


@pytest.fixture
def gdb_path() -> str:
    path = require_tool("gdb")
    require_root("gdb attaching to a process")
    return path


@pytest.fixture
def tplist_path() -> str:
    path = require_tool("tplist-bpfcc")
    require_root("tplist-bpfcc -p")
    return path


@pytest.fixture
def readelf_path() -> str:
    return require_tool("readelf")


def ready(process: Process) -> "re.Match[str]":
    """Wait for a harness program's ``ready PID PATH...`` line."""
    return process.expect(r"^ready (\d+)((?: \S+)*)$")


@pytest.fixture
def expect_ready() -> Callable[[Process], "re.Match[str]"]:
    return ready


#: A provider object's path: the runtime directory, then PROVIDER-DIGEST.so.
OBJECT_NAME = re.compile(r"/[A-Za-z_]\w*-[0-9a-f]{16}\.so$")


def mapped_objects(pid: int) -> Dict[str, int]:
    """tracers objects mapped by ``pid``: path -> load bias (start of the offset-0 mapping)."""
    found: Dict[str, int] = {}
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) < 6 or not OBJECT_NAME.search(fields[5].strip()):
                continue
            start, offset = int(fields[0].split("-")[0], 16), int(fields[2], 16)
            if offset == 0:
                found[fields[5].strip()] = start
    return found


@pytest.fixture
def maps() -> Callable[[int], Dict[str, int]]:
    return mapped_objects


# ---------------------------------------------------------------- another, unprivileged user

class OtherUser(NamedTuple):
    """A real unprivileged user made for the tests, and how to run commands as that user."""

    name: str
    uid: int
    gid: int
    home: Path
    python: str  # an interpreter this user can run (the tests' own when reachable, else the system's)
    library: Path  # a copy of tracers this user can import (PYTHONPATH)

    def argv(self, *command: str) -> List[str]:
        return [shutil.which("setpriv") or "setpriv", "--reuid", str(self.uid), "--regid", str(self.gid),
                "--init-groups", "--", *command]

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
               "PYTHONPATH": str(self.library), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        env.update(extra or {})
        return env

    def run(self, *command: str, timeout: float = TIMEOUT) -> "subprocess.CompletedProcess[str]":
        return subprocess.run(self.argv(*command), env=self.env(), cwd=str(self.home), capture_output=True,
                              text=True, timeout=timeout)

    def own(self, *paths: Path) -> None:
        for path in paths:
            os.chown(path, self.uid, self.gid, follow_symlinks=False)


def _retry(argv: List[str]) -> "subprocess.CompletedProcess[str]":
    """useradd and userdel fail while another process holds /etc/passwd's lock: try again."""
    for _ in range(20):
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode == 0 or "lock" not in result.stderr:
            return result
        time.sleep(0.5)
    return result


def _kill_processes_of(uid: int) -> None:
    """Kill, by pid, what is left running as the test's own user (nothing else runs as it)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


def _python_for(user: OtherUser) -> Optional[str]:
    """The first interpreter that this user runs as root does (same version): a virtual
    environment under a private directory may be out of the user's reach."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(candidate):
            continue
        probe = [candidate, "-c", "import ctypes, sys; print(sys.version)"]
        mine = subprocess.run(probe, capture_output=True, text=True)
        theirs = subprocess.run(user.argv(*probe), capture_output=True, text=True, cwd=str(user.home),
                                env=user.env())
        if theirs.returncode == 0 and theirs.stdout == mine.stdout:
            return candidate
    return None


@pytest.fixture(scope="session")
def other_user() -> Iterator[OtherUser]:
    """A fresh user (``useradd``), removed with its home (``userdel -r``) at the end, pass or fail.

    Its processes run through ``setpriv`` with its uid, gid and groups; they
    get a copy of tracers in a directory every user can read.
    """
    import pwd

    require_root("making a user")
    for tool in ("useradd", "userdel", "setpriv"):
        require_tool(tool)
    name = f"trtest{secrets.token_hex(4)}"
    made = _retry(["useradd", "--create-home", "--user-group", "--shell", "/bin/sh", name])
    if made.returncode != 0:
        unavailable(f"useradd {name} failed: {made.stderr.strip()}")
    library = Path(tempfile.mkdtemp(prefix="tracers-user-lib-", dir="/tmp"))  # reachable whatever TMPDIR is
    entry = pwd.getpwnam(name)
    try:
        library.chmod(0o755)
        shutil.copytree(REPO / "tracers", library / "tracers", ignore=shutil.ignore_patterns("__pycache__"))
        user = OtherUser(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir), "", library)
        python = _python_for(user)
        if python is None:
            unavailable(f"no Python that user {name} can run (tried {sys.executable}, /usr/bin/python3)")
        yield user._replace(python=str(python))
    finally:
        shutil.rmtree(library, ignore_errors=True)
        _kill_processes_of(entry.pw_uid)
        removed = _retry(["userdel", "--remove", name])
        assert removed.returncode == 0, f"userdel --remove {name}: {removed.stderr}"


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory of root's that every user can traverse (0755, under /tmp), removed after the test."""
    path = Path(tempfile.mkdtemp(prefix="tracers-shared-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
