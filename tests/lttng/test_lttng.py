"""The lttng backend, end to end: a session daemon, a session, the traced program, babeltrace2.

What the program fired is taken from the same program run with the record
backend; the trace must hold exactly those events, in order, with the same
values.  Missing LTTng tools fail the tests in CI and skip them elsewhere.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from prerequisites import unavailable

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
AGENT_MISSING_WARNING = "RuntimeWarning: tracers: backend 'lttng' unavailable, probes will not fire"


def require_lttng() -> None:
    for tool in ("lttng", "lttng-sessiond", "babeltrace2"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install lttng-tools babeltrace2)")
    from tracers.runtime import lttng

    if lttng.find_agent_dir() is None:
        unavailable(f"LTTng's Python agent is not installed ({lttng.install_hint(0)})")


# --------------------------------------------------------------------------- the session daemon


class SessionDaemon:
    """A session daemon the tests talk to, through a private ``LTTNG_HOME``.

    Root's daemon keeps its runtime files in /var/run/lttng whatever
    ``LTTNG_HOME`` says, so as root a running one is reused (and left
    running); otherwise one is started and killed at the end.
    """

    def __init__(self) -> None:
        # Unix socket paths under LTTNG_HOME must stay short: not under tmp_path.
        self.home = tempfile.mkdtemp(prefix="tracers-lttng-")
        self.rundir = Path("/var/run/lttng") if os.geteuid() == 0 else Path(self.home, ".lttng")
        self.env = {"LTTNG_HOME": self.home}
        self.pid: Optional[int] = None  # set only when this object started the daemon
        self._names = itertools.count()

    def start(self) -> None:
        if self._running_pid() is not None:
            return
        result = subprocess.run(["lttng-sessiond", "--daemonize", "--no-kernel"], env=self.full_env(),
                                capture_output=True, text=True, timeout=60)
        pid = self._running_pid()
        if pid is None:
            pytest.fail(f"lttng-sessiond did not start (exit {result.returncode}): {result.stderr}")
        if result.returncode == 0:
            self.pid = pid

    def _running_pid(self) -> Optional[int]:
        try:
            pid = int((self.rundir / "lttng-sessiond.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def stop(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
            self.pid = None
        shutil.rmtree(self.home, ignore_errors=True)

    def full_env(self, extra: Optional[dict] = None) -> dict:
        env = dict(os.environ, **self.env)
        env.update(extra or {})
        return env

    def lttng(self, *args: str) -> str:
        result = subprocess.run(["lttng", *args], env=self.full_env(), capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"lttng {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def new_session_name(self) -> str:
        return f"tracers-test-{os.getpid()}-{next(self._names)}"

    @contextmanager
    def session(self, output: Path, python_events: tuple[str, ...] = ("tracers.*",),
                start: bool = True) -> Iterator[Session]:
        """A session recording the given Python-domain events into ``output``."""
        session = Session(self, self.new_session_name(), output)
        self.lttng("create", session.name, f"--output={output}")
        try:
            for pattern in python_events:
                self.lttng("enable-event", "--python", pattern, "-s", session.name)
            if start:
                self.lttng("start", session.name)
            yield session
            self.lttng("stop", session.name)
        finally:
            self.lttng("destroy", session.name)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Session:
    def __init__(self, daemon: SessionDaemon, name: str, output: Path) -> None:
        self.daemon = daemon
        self.name = name
        self.output = output

    def events(self) -> list[dict[str, Any]]:
        """The session's trace, read with babeltrace2 (after the session is stopped)."""
        return read_trace(self.output)


@pytest.fixture(scope="module")
def sessiond() -> Iterator[SessionDaemon]:
    require_lttng()
    daemon = SessionDaemon()
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


# --------------------------------------------------------------------------- reading the trace

_FIELD = re.compile(r'(\w+) = ("(?:[^"\\]|\\.)*"|-?\d+)')
_C_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(text: str) -> str:
    """Undo babeltrace2's C-style escaping of a string field."""
    def replace(match: re.Match) -> str:
        escaped = match.group(1)
        if escaped.startswith("x"):
            return chr(int(escaped[1:], 16))
        return _C_ESCAPES.get(escaped, escaped)
    return re.sub(r"\\(x[0-9a-fA-F]{2}|.)", replace, text)


def parse_line(line: str) -> dict[str, Any]:
    """The fields of one ``lttng_python:event`` line of babeltrace2's text output."""
    payload = line.split("lttng_python:event:", 1)[1]
    fields: dict[str, Any] = {}
    for name, value in _FIELD.findall(payload):
        fields[name] = _unescape(value[1:-1]) if value.startswith('"') else int(value)
    return fields


def read_trace(output: Path) -> list[dict[str, Any]]:
    result = subprocess.run(["babeltrace2", str(output)], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    lines = result.stdout.decode("utf-8", "surrogateescape").splitlines()
    assert all("lttng_python:event:" in line for line in lines), lines[:5]
    return [parse_line(line) for line in lines]


def tracers_events(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(logger name, decoded arguments) of each tracers event in the trace."""
    return [(e["logger_name"], json.loads(e["msg"])) for e in events if e["logger_name"].startswith("tracers.")]


# --------------------------------------------------------------------------- the oracle: a record run

ORACLE = textwrap.dedent("""\
    import json, sys
    from tracers.cli import main
    from tracers.runtime import record

    names = {}
    bind = record.RecordBackend.bind

    def remember(self, provider, strict):
        for probe in provider.probes:
            names[provider.name, probe.name] = [arg.name for arg in probe.args]
        return bind(self, provider, strict)

    record.RecordBackend.bind = remember
    out, args = sys.argv[1], sys.argv[2:]
    try:
        status = main(["run", "--backend", "record", *args])
    finally:
        events = [["tracers.%s.%s" % (e.provider, e.probe),
                   dict(zip(names[e.provider, e.probe],
                            [v.decode("latin-1") if isinstance(v, bytes) else v for v in e.args]))]
                  for e in record.events()]
        with open(out, "w", encoding="utf-8") as file:
            json.dump(events, file)
    sys.exit(status)
""")


def expected_events(python: Any, tmp_path: Path, args: list[str], env: Optional[dict] = None) -> tuple[list, str]:
    """The events (and stdout) of the program run with the record backend."""
    out = tmp_path / "expected.json"
    result = python(["-c", ORACLE, str(out), *args], env=dict(env or {}), cwd=REPO)
    assert result.returncode == 0, result.stderr
    return [tuple(event) for event in json.loads(out.read_text(encoding="utf-8"))], result.stdout


def run_traced(python: Any, daemon: SessionDaemon, args: list[str],
               env: Optional[dict] = None) -> subprocess.CompletedProcess:
    return python(["-m", "tracers", "run", "--backend", "lttng", *args], env={**daemon.env, **(env or {})}, cwd=REPO)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("args, env", [
    (["examples/simple.py", "--count", "5"], {}),
    (["-m", "shop", "5"], {"PYTHONPATH": str(EXAMPLES)}),
], ids=["simple", "shop"])
def test_examples_trace_every_fired_probe(python, sessiond, tmp_path, args, env):
    expected, expected_stdout = expected_events(python, tmp_path, args, dict(env))
    assert expected, "the example fired nothing"
    with sessiond.session(tmp_path / "trace") as session:
        result = run_traced(python, sessiond, args, env=dict(env))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected_stdout
    events = session.events()
    assert tracers_events(events) == expected
    assert len(events) == len(expected)


def test_simple_event_fields(python, sessiond, tmp_path):
    with sessiond.session(tmp_path / "trace") as session:
        result = run_traced(python, sessiond, ["examples/simple.py", "--count", "2"])
    assert result.returncode == 0, result.stderr
    events = session.events()
    source = (EXAMPLES / "simple.py").read_text().splitlines()
    first = events[0]
    assert first["logger_name"] == "tracers.simple_probes.hello"
    assert first["msg"] == '{"who":"world #0"}'
    assert first["funcName"] == "greet"
    assert "SimpleProbes.hello(" in source[first["lineno"] - 1]
    assert first["int_loglevel"] == 10
    assert first["threadName"] == "MainThread"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", first["asctime"])
    assert [e["msg"] for e in events if e["logger_name"].endswith(".optional_greeting")] == [
        '{"greeting":"hello","name":null}', '{"greeting":"hello","name":"world #1"}']


VALUES = r'''"""Values that need escaping, fired from the main thread and a named thread."""
import threading
from typing import Optional
from tracers import I8, U8, U64, probe, tracer


@tracer
class Tricky:
    def text(s: str, b: Optional[bytes], flag: bool, small: U8): ...
    def numbers(i: int, tiny: I8, big: U64, maybe: Optional[int]): ...
    def nothing(): ...


TEXTS = [
    ("plain", b"GET / HTTP/1.1", True, 7),
    ('q"uote \\ back\nnl\ttab\x00nul\x7fdel \' ? end', b"\x00\x01\x7f\x80\xff\"\\'?", False, 255),
    ("\u00e9 \u00fc \U0001f600 \udcff", None, True, 0),
    ("", b"", False, 1),
]
NUMBERS = [(0, -128, 2**64 - 1, None), (-2**63, 127, 0, 5), (2**63 - 1, -1, 1, -7)]


def fire_all():
    for values in TEXTS:
        probe(Tricky.text(*values))
    for values in NUMBERS:
        probe(Tricky.numbers(*values))
    probe(Tricky.nothing())


fire_all()
worker = threading.Thread(target=fire_all, name='worker "one"')
worker.start()
worker.join()
print("done")
'''


def test_values_round_trip_through_babeltrace(python, sessiond, tmp_path):
    program = tmp_path / "values.py"
    program.write_text(VALUES, encoding="utf-8")
    expected, _ = expected_events(python, tmp_path, [str(program)])
    assert len(expected) == 16
    with sessiond.session(tmp_path / "trace") as session:
        result = run_traced(python, sessiond, [str(program)])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n" and result.stderr == ""
    events = session.events()
    assert tracers_events(events) == expected
    assert expected[1][1]["s"] == 'q"uote \\ back\nnl\ttab\x00nul\x7fdel \' ? end'
    assert expected[1][1]["b"].encode("latin-1") == b"\x00\x01\x7f\x80\xff\"\\'?"
    assert expected[2][1]["s"] == "\u00e9 \u00fc \U0001f600 \udcff"
    assert [e["threadName"] for e in events] == ["MainThread"] * 8 + ['worker "one"'] * 8
    assert {e["funcName"] for e in events} == {"fire_all"}
    # bytes are one character per byte, ASCII-escaped beyond printable ASCII
    assert '"b":"\\u0000\\u0001\\u007f\\u0080\\u00ff\\"\\\\\'?"' in events[1]["msg"]


GATE = textwrap.dedent("""\
    import json, logging, sys
    path = list(sys.path)

    class Seen(logging.Handler):
        def __init__(self):
            super().__init__()
            self.names = []

        def emit(self, record):
            self.names.append(record.name)

    seen = Seen()
    root = logging.getLogger()
    root.addHandler(seen)
    level = root.level

    import warnings
    warnings.filterwarnings("ignore", "tracers: module '__main__' fires probes through the slower runtime fallback")
    from tracers import probe, tracer

    @tracer
    class Gated:
        def tick(n: int): ...

    def state():
        return {"gate": bool(Gated.tick.gate), "seen": seen.names, "level": root.level, "level_before": level,
                "agent": sys.modules["lttngust"].__file__, "path_added": [p for p in sys.path if p not in path]}

    print(json.dumps(state()), flush=True)
    for line in sys.stdin:
        command, _, value = line.strip().partition(" ")
        if command == "tick":
            probe(Gated.tick(int(value)))
        elif command == "log":
            logging.getLogger(value).warning("from the application")
        elif command == "reconfigure":  # as applications do at start-up: drops every root handler
            import logging.config
            logging.config.dictConfig({"version": 1, "root": {"level": "WARNING", "handlers": []}})
        print(json.dumps(state()), flush=True)
""")


class Program:
    """The GATE program, driven line by line."""

    def __init__(self, daemon: SessionDaemon, env: Optional[dict] = None) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
        full_env.update(daemon.env, TRACERS="lttng", PYTHONPATH=str(REPO), **(env or {}))
        self.process = subprocess.Popen([sys.executable, "-c", GATE], env=full_env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.first = self._read()

    def _read(self) -> dict:
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            self.process.wait(10)
            pytest.fail(f"the program stopped: {self.process.stderr.read()}")  # type: ignore[union-attr]
        return json.loads(line)

    def send(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        return self._read()

    def until(self, gate: bool, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.send("check")
            if state["gate"] == gate or time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def close(self) -> str:
        self.process.stdin.close()  # type: ignore[union-attr]
        assert self.process.wait(30) == 0
        return self.process.stderr.read()  # type: ignore[union-attr]


def agent_dir() -> str:
    from tracers.runtime import lttng

    found = lttng.find_agent_dir()
    if found is None:
        unavailable(f"LTTng's Python agent is not installed ({lttng.install_hint(0)})")
    return found  # type: ignore[return-value]


def test_gate_follows_sessions_and_logging_is_untouched(sessiond, tmp_path):
    with sessiond.session(tmp_path / "trace") as session:
        program = Program(sessiond)
        assert program.first["gate"] is True  # the agent registered before the first probe was bound
        assert program.first["agent"].startswith(os.path.join(agent_dir(), ""))
        assert program.first["path_added"] == []  # loaded by path: sys.path is as it was
        assert program.first["level"] == program.first["level_before"] == 30  # the agent's NOTSET undone
        assert "- tracers.gated.tick" in sessiond.lttng("list", "--python")  # the logger names are listed
        state = program.send("tick 1")
        assert state["gate"] is True and state["seen"] == []
        assert program.send("reconfigure")["gate"] is True  # the agent's handler is gone, the session still listens
        program.send("tick 2")
        sessiond.lttng("disable-event", "--python", "tracers.*", "-s", session.name)
        assert program.until(False)["gate"] is False
        program.send("tick 3")  # not fired: nothing listens
        sessiond.lttng("enable-event", "--python", "tracers.*", "-s", session.name)
        assert program.until(True)["gate"] is True
        state = program.send("tick 4")
        assert state["seen"] == []  # the application's own root handler never saw a tracers event
        assert program.close() == ""
    assert tracers_events(session.events()) == [("tracers.gated.tick", {"n": n}) for n in (1, 2, 4)]


def test_gate_is_closed_without_sessions_and_shared_by_python_events(sessiond, tmp_path):
    program = Program(sessiond)
    assert program.first["gate"] is False  # no session enables Python events
    program.send("tick 1")
    with sessiond.session(tmp_path / "trace", python_events=("myapp.*",)) as session:
        # Another Python event opens the (shared) gate; LTTng drops tracers' events in C.
        assert program.until(True)["gate"] is True
        program.send("tick 2")
        state = program.send("log myapp.orders")
        assert state["seen"] == ["myapp.orders"]
    assert program.until(False)["gate"] is False
    assert program.close() == ""
    events = session.events()
    assert [(e["logger_name"], e["msg"]) for e in events] == [("myapp.orders", "from the application")]


def test_unreachable_session_daemon_costs_the_registration_timeout(python):
    agent_dir()
    # A port file left behind by a daemon that is gone: the agent waits for it
    # for LTTNG_UST_PYTHON_REGISTER_TIMEOUT milliseconds, then the program runs.
    home = Path(tempfile.mkdtemp(prefix="tracers-lttng-stale-"))
    try:
        (home / ".lttng").mkdir()
        with socketless_port() as port:
            (home / ".lttng" / "agent.port").write_text(f"{port}\n")
            env = {"LTTNG_HOME": str(home), "LTTNG_UST_PYTHON_REGISTER_TIMEOUT": "300", "TRACERS": "lttng",
                   "PYTHONPATH": str(REPO)}
            started = time.monotonic()
            result = python(["-c", "import time; t = time.monotonic()\n"
                                       "from tracers import tracer\n"
                                       "@tracer\nclass P:\n    def e(a: int): ...\n"
                                       "print(round(time.monotonic() - t, 3), bool(P.e.gate))"], env=env)
            elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    seconds, gate = result.stdout.split()
    assert gate == "False" and result.stderr == ""
    assert 0.3 <= float(seconds) < 5 and elapsed < 10


@contextmanager
def socketless_port() -> Iterator[int]:
    """A local TCP port that nothing listens on (while the block runs)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound, never listening: connections are refused


def test_application_that_imported_the_agent_keeps_it(python, sessiond, tmp_path):
    """An application importing lttngust itself keeps the agent's settings; events still flow."""
    path_dir = tmp_path / "path"
    path_dir.mkdir()
    (path_dir / "lttngust").symlink_to(agent_dir())
    code = textwrap.dedent("""\
        import logging, sys
        import lttngust
        from tracers import probe, tracer

        @tracer
        class Own:
            def ping(who: str): ...

        probe(Own.ping("me"))
        print(logging.getLogger().level, sys.modules["lttngust"].__file__)
    """)
    with sessiond.session(tmp_path / "trace") as session:
        result = python(["-c", code], env={**sessiond.env, "TRACERS": "lttng", "PYTHONPATH": str(path_dir)})
    assert result.returncode == 0, result.stderr
    level, where = result.stdout.split()
    assert level == "0" and where.startswith(str(path_dir))  # the agent's NOTSET, as the application chose
    assert tracers_events(session.events()) == [("tracers.own.ping", {"who": "me"})]


# --------------------------------------------------------------------------- without the agent

MISSING_AGENT = textwrap.dedent("""\
    import sys
    sys.modules["lttngust"] = None  # 'import lttngust' fails, as on a Python without the agent
    from tracers.runtime import lttng
    lttng.AGENT_DIRS = tuple(sys.argv[1].split(":"))
    from tracers.cli import main
    sys.exit(main(["run", "--backend", "lttng", *sys.argv[2:]]))
""")


def test_missing_agent_warns_once_and_the_program_runs(python, tmp_path):
    result = python(["-c", MISSING_AGENT, str(tmp_path / "nowhere"), "-m", "shop", "4"],
                        env={"PYTHONPATH": str(EXAMPLES)}, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"order {n}: {'apple' if n % 2 else 'pear'}" for n in range(1, 5)]
    assert result.stderr.count("RuntimeWarning") == 1, result.stderr
    assert AGENT_MISSING_WARNING in result.stderr
    assert "LTTng's Python agent (the 'lttngust' package) is not installed; install it: " in result.stderr
    assert str(tmp_path / "nowhere") in result.stderr
    if Path("/etc/debian_version").exists():
        assert "apt-get install python3-lttngust" in result.stderr


def test_missing_library_is_reported_before_the_agent_starts(python, tmp_path):
    """An agent whose C library cannot be loaded: no agent thread starts, nothing stays imported."""
    real = agent_dir()
    fake = tmp_path / "site" / "lttngust"
    shutil.copytree(real, fake, ignore=shutil.ignore_patterns("__pycache__"))
    (fake / "version.py").write_text("__version__ = '0.0'\n__soname_major__ = '999'\n")
    code = textwrap.dedent("""\
        import sys, threading, warnings
        sys.modules["lttngust"] = None
        from tracers.runtime import lttng
        lttng.AGENT_DIRS = (sys.argv[1],)
        from tracers import tracer
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            @tracer
            class P:
                def e(a: int): ...
        print(len(caught))
        print(caught[0].message)
        print(sorted(t.name for t in threading.enumerate()))
        print(sorted(n for n in sys.modules if n and n.startswith("lttngust")))
        print(bool(P.e.gate), "addHandler" in vars(__import__("logging").getLogger()))
    """)
    result = python(["-c", code, str(tmp_path / "site")], env={"TRACERS": "lttng"})
    assert result.returncode == 0, result.stderr
    count, message, threads, modules, gate = result.stdout.splitlines()
    assert count == "1"
    assert message.startswith("tracers: backend 'lttng' unavailable, probes will not fire: "
                              "LTTng's Python agent library liblttng-ust-python-agent.so.999 cannot be loaded")
    assert "install it: " in message
    assert threads == "['MainThread']" and modules == "[]" and gate == "False False"


def test_payload_format_without_lttng():
    """The message builder alone: JSON, with bytes one character per byte."""
    from tracers._spec import ArgSpec, ProbeSpec
    from tracers._types import ArgType
    from tracers.runtime.lttng import event_name, message_builder

    spec = ProbeSpec("p", (ArgSpec("a", ArgType("int", 8, True)), ArgSpec("b", ArgType("bool", 1, False)),
                           ArgSpec("c", ArgType("str", 8, False, True)), ArgSpec("d", ArgType("bytes", 8, False))),
                     "x.py", 1)
    build = message_builder(spec)
    message = build((-3, True, 'é"\udc80\n', b"\x00\xffA"))
    assert message == b'{"a":-3,"b":true,"c":"\xc3\xa9\\"\\udc80\\n","d":"\\u0000\\u00ffA"}'
    decoded = json.loads(message)
    assert decoded == {"a": -3, "b": True, "c": 'é"\udc80\n', "d": "\x00\xffA"}
    assert decoded["d"].encode("latin-1") == b"\x00\xffA"
    assert build((0, False, None, None)) == b'{"a":0,"b":false,"c":null,"d":null}'
    assert message_builder(ProbeSpec("q", (), "x.py", 1))(()) == b"{}"
    assert event_name("shop", "order_placed") == "tracers.shop.order_placed"
