"""Reporting never stops the traced program: no lock to deadlock on, nothing raised into it.

Each program runs under ``python -m tracers run --backend record`` in a fresh
interpreter; a deadlock shows as the subprocess timing out.
"""
import re
import signal
import subprocess
import textwrap

import pytest

if not hasattr(signal, "setitimer"):
    pytest.skip("needs signal.setitimer", allow_module_level=True)

# A probe fired from a periodic timer's handler while the main thread keeps
# reporting failed probes of its own: the handler interrupts a report.
SIGNAL_DURING_REPORT = """
    import signal, time, warnings
    from tracers import probe, tracer, _report

    @tracer
    class Tick:
        def tick(n: int): ...

    fired = 0
    def handler(signum, frame):
        global fired
        fired += 1
        probe(Tick.tick("not a number"))

    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
    deadline, i = time.monotonic() + 1.5, 0
    while time.monotonic() < deadline:
        _report.fire_failed(f"main:{i}", ValueError("bad"))
        i += 1
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("done", fired > 0)
"""

# The same handler firing while the program recurses to the limit (and
# handles the RecursionError itself): the report has no stack left.
SIGNAL_AT_THE_RECURSION_LIMIT = """
    import signal, time
    from tracers import probe, tracer

    @tracer
    class Tick:
        def tick(n: int): ...

    def handler(signum, frame):
        probe(Tick.tick("not a number"))

    def deep(n):
        return deep(n + 1) + 1

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
    deadline, rounds = time.monotonic() + 1.5, 0
    while time.monotonic() < deadline:
        try:
            deep(0)
        except RecursionError:
            rounds += 1
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("done", rounds > 0)
"""

# A handler that records while the main thread records: the handler runs in
# the thread that may be holding the record's lock.
SIGNAL_DURING_RECORD = """
    import itertools, signal, time
    from tracers import probe, tracer
    from tracers.runtime import record

    @tracer
    class Tick:
        def tick(n: int): ...
        def main(i: int): ...

    tickets = itertools.count(1)  # next() is one C call: a nested handler cannot take the same number
    def handler(signum, frame):
        probe(Tick.tick(next(tickets)))

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
    deadline, i = time.monotonic() + 1.5, 0
    while i < 60_000 and time.monotonic() < deadline:  # fewer events than the record keeps
        probe(Tick.main(i))
        i += 1
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a signal still pending runs no handler now
    fired = next(tickets) - 1
    ticks = sorted(event.args[0] for event in record.events() if event.probe == "tick")  # nested: any order
    mains = [event.args[0] for event in record.events() if event.probe == "main"]
    print("done", fired > 0 and ticks == list(range(1, fired + 1)) and mains == list(range(i)))
"""


# A program that hangs prints where its threads are, then leaves (faulthandler's watchdog is a C
# thread: it runs no Python code until it fires).
HANG_SECONDS = 45
WATCHDOG = f"import faulthandler; faulthandler.dump_traceback_later({HANG_SECONDS}, exit=True)\n"


@pytest.mark.parametrize("program", [SIGNAL_DURING_REPORT, SIGNAL_AT_THE_RECURSION_LIMIT, SIGNAL_DURING_RECORD],
                         ids=["signal-during-report", "signal-at-recursion-limit", "signal-during-record"])
def test_a_probe_fired_from_a_signal_handler_neither_blocks_nor_raises(python, tmp_path, program):
    script = tmp_path / "prog.py"
    script.write_text(WATCHDOG + textwrap.dedent(program).lstrip())
    try:
        done = python(["-m", "tracers", "run", "--backend", "record", str(script)], timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the program deadlocked")
    if f"Timeout (0:00:{HANG_SECONDS})!" in done.stderr:  # faulthandler's first line when it fires
        pytest.fail(f"the program hung; where its threads were:\n{done.stderr[-3000:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "done True\n"
    assert "Traceback" not in done.stderr


BAD_ARGUMENT = """
    from tracers import probe, tracer

    @tracer
    class W:
        def n(x: int): ...

    probe(W.n("not a number"))
    probe(W.n("not a number"))
    print("survived")
"""


def _run_with_warnings(python, tmp_path, option, env):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(BAD_ARGUMENT).lstrip())
    return python([option, "-m", "tracers", "run", str(script)], env=env)


@pytest.fixture
def usdt_unavailable(tmp_path):
    """A runtime directory that cannot be created makes the usdt backend unavailable."""
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    return {"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(blocker / "runtime")}


def test_error_filters_cannot_turn_a_backend_warning_into_an_import_failure(python, tmp_path, usdt_unavailable):
    done = _run_with_warnings(python, tmp_path, "-Werror", usdt_unavailable)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "survived\n"
    script = tmp_path / "prog.py"
    line = "(3|4)"  # the decorator's line; the class statement's before Python 3.10
    assert re.match(f"{re.escape(str(script))}:{line}: RuntimeWarning: tracers: backend 'usdt' unavailable", done.stderr)
    assert "Traceback" not in done.stderr


def test_error_filters_cannot_turn_a_fire_warning_into_an_exception(python, tmp_path):
    done = _run_with_warnings(python, tmp_path, "-Werror", {"TRACERS": "record"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "survived\n"
    assert done.stderr.count("RuntimeWarning: tracers: probe w:n not fired: x: expected int, got str") == 1
    assert f"{tmp_path / 'prog.py'}:7: RuntimeWarning" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("env", [{"TRACERS": "record"}, "usdt_unavailable"])
def test_other_filters_apply_as_to_any_warning(python, tmp_path, request, env):
    env = request.getfixturevalue(env) if isinstance(env, str) else env
    quiet = _run_with_warnings(python, tmp_path, "-Wignore::RuntimeWarning", env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "survived\n", "")
    loud = _run_with_warnings(python, tmp_path, "-Walways::RuntimeWarning", env)
    assert "RuntimeWarning: tracers:" in loud.stderr and loud.stdout == "survived\n"


def test_strict_mode_still_raises(python, tmp_path):
    done = _run_with_warnings(python, tmp_path, "-Werror", {"TRACERS": "record", "TRACERS_STRICT": "1"})
    assert done.returncode == 1
    assert "ProbeArgumentError: tracers: probe w:n not fired" in done.stderr
