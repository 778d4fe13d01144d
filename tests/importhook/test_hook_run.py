"""``python -m tracers run``: the program behaves as under plain ``python``, with probes rewritten."""
from __future__ import annotations

import re
import signal

import pytest

from hook_support import LOG_MODULE

PROGRAM = """
    import json, os, sys
    from tracers import probe, tracer
    import log
    from log import arg

    @tracer
    class M:
        def start(argc: int): ...

    probe(M.start(arg(len(sys.argv))))
    data = sys.stdin.read()
    sys.stdout.write(data.upper())
    print("to stderr", file=sys.stderr)
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [[e.probe, list(e.args)] for e in record.events()]
    main = sys.modules["__main__"]
    print(json.dumps({
        "argv": sys.argv, "calls": log.calls, "events": events, "name": __name__,
        "main_is_me": vars(main) is globals(), "file": __file__,
        "gates": sorted(n for n in vars(main) if n.startswith("_tracers_gate_")),
        "env": os.environ.get("TRACERS"),
    }))
    sys.exit(int(os.environ.get("EXIT_WITH", "3")))
"""

BOOM = """
    from tracers import probe, tracer

    @tracer
    class B:
        def before(x: int): ...

    def explode(x):
        probe(B.before(x))
        raise ValueError(f"boom {x}")  # line 9

    explode(1)  # line 11
"""


def _files(py):
    py.write({"log.py": LOG_MODULE, "prog.py": PROGRAM, "pkg/__init__.py": "", "pkg/tool.py": PROGRAM,
              "boom.py": BOOM})


def _report(done):
    import json
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_script_exit_code_argv_stdio_pass_through(py):
    _files(py)
    done = py.run(["-m", "tracers", "run", "prog.py", "a", "--off", "-m", "x"], stdin="hello\n", check=3)
    assert done.stdout.startswith("HELLO\n")
    assert "to stderr" in done.stderr
    got = _report(done)
    assert got["argv"] == ["prog.py", "a", "--off", "-m", "x"]  # options after the script are the program's
    assert got["name"] == "__main__" and got["main_is_me"]
    assert got["file"] == str(py.root / "prog.py")  # absolute, as python makes it


def test_script_exit_zero_and_no_exit_call(py):
    _files(py)
    py.run(["-m", "tracers", "run", "prog.py"], env={"EXIT_WITH": "0"}, check=0)
    py.write({"quiet.py": "print('done')\n"})
    assert py.run(["-m", "tracers", "run", "quiet.py"], check=0).stdout == "done\n"


def test_module_exit_code_argv_stdio_pass_through(py):
    _files(py)
    done = py.run(["-m", "tracers", "run", "-m", "pkg.tool", "b", "c"], stdin="xyz\n", check=3)
    assert done.stdout.startswith("XYZ")
    assert "to stderr" in done.stderr
    got = _report(done)
    assert got["argv"] == [str(py.root / "pkg" / "tool.py"), "b", "c"]
    assert got["name"] == "__main__" and got["main_is_me"]


def test_package_with_main_module(py):
    py.write({"app/__init__.py": "", "app/__main__.py": "import sys\nprint('app', sys.argv[1:])\nsys.exit(5)\n"})
    done = py.run(["-m", "tracers", "run", "-m", "app", "z"], check=5)
    assert done.stdout == "app ['z']\n"


@pytest.mark.parametrize("how", [["prog.py"], ["-m", "pkg.tool"]], ids=["script", "module"])
def test_main_probes_are_rewritten(py, how):
    """With noop nothing listens: a rewritten __main__ does not evaluate the argument."""
    _files(py)
    got = _report(py.run(["-m", "tracers", "run", *how], tracers="noop", check=3))
    assert got["calls"] == []
    assert got["gates"] == ["_tracers_gate_0_M_start"]


def test_main_probes_evaluate_without_the_runner(py):
    """The control: plain python runs __main__ unrewritten, so the argument is evaluated."""
    _files(py)
    got = _report(py.run(["prog.py"], tracers="noop", check=3))
    assert got["calls"] == [1]
    assert got["gates"] == []


def test_backend_record_fires_in_main_and_is_exported(py):
    _files(py)
    got = _report(py.run(["-m", "tracers", "run", "--backend", "record", "prog.py", "q"], check=3))
    assert got["events"] == [["start", [2]]]
    assert got["calls"] == [2]
    assert got["env"] == "record"  # child processes inherit the mode
    got = _report(py.run(["-m", "tracers", "run", "--backend=record", "-m", "pkg.tool"], check=3))
    assert got["events"] == [["start", [1]]]


def test_off_flag_beats_the_environment(py):
    _files(py)
    got = _report(py.run(["-m", "tracers", "run", "--off", "prog.py"], tracers="record", check=3))
    assert got["events"] == [] and got["calls"] == [] and got["gates"] == []
    assert got["env"] == "off"


def test_tracers_environment_is_the_default_mode(py):
    _files(py)
    got = _report(py.run(["-m", "tracers", "run", "prog.py"], tracers="record", check=3))
    assert got["events"] == [["start", [1]]]


def test_unknown_backend_exits_2_listing_the_choices(py):
    _files(py)
    done = py.run(["-m", "tracers", "run", "--backend", "bogus", "prog.py"], check=2)
    assert "bogus" in done.stderr
    for name in ("auto", "noop", "record", "usdt", "lttng", "stapsdt"):
        assert name in done.stderr
    assert done.stdout == ""  # the program did not run
    assert "Traceback" not in done.stderr


def test_unknown_tracers_value_is_a_clear_startup_error(py):
    _files(py)
    done = py.run(["-m", "tracers", "run", "prog.py"], tracers="sometimes", check=2)
    assert "TRACERS" in done.stderr and "sometimes" in done.stderr
    assert "record" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("args, message", [
    ([], "no script"),
    (["--backend"], "--backend needs a name"),
    (["-m"], "-m needs a module name"),
    (["--frobnicate", "prog.py"], "unknown option --frobnicate"),
])
def test_bad_command_lines_exit_2_with_usage(py, args, message):
    done = py.run(["-m", "tracers", "run", *args], check=2)
    assert message in done.stderr
    assert "usage:" in done.stderr


def test_missing_script_exits_2_like_python(py):
    done = py.run(["-m", "tracers", "run", "nosuch.py"], check=2)
    assert "can't open file" in done.stderr and "nosuch.py" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_module_exits_1_like_python(py):
    done = py.run(["-m", "tracers", "run", "-m", "nosuch_module"], check=1)
    assert "No module named nosuch_module" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_error_inside_the_module_is_a_traceback(py):
    py.write({"needs.py": "import nosuch_dependency\n"})
    done = py.run(["-m", "tracers", "run", "-m", "needs"], check=1)
    assert "Traceback" in done.stderr
    assert re.search(r'File ".*needs\.py", line 1', done.stderr)
    assert "ModuleNotFoundError: No module named 'nosuch_dependency'" in done.stderr


@pytest.mark.parametrize("mode", [None, "record"])
def test_uncaught_exception_exits_1_with_the_same_traceback_as_python(py, mode):
    _files(py)
    # (plain Python, tracing on: one warning that __main__'s probes use the fallback; not compared)
    plain = py.run(["-W", "ignore::RuntimeWarning", "boom.py"], tracers=mode, check=1)
    done = py.run(["-m", "tracers", "run", "boom.py"], tracers=mode, check=1)
    boom = str(py.root / "boom.py")
    assert f'File "{boom}", line 11, in <module>' in done.stderr
    assert f'File "{boom}", line 9, in explode' in done.stderr
    assert done.stderr.rstrip().endswith("ValueError: boom 1")
    assert "tracers" + "/" not in done.stderr.replace("\\", "/")  # no frames of the runner
    assert done.stderr == plain.stderr


def test_uncaught_exception_in_module_names_the_users_lines_as_python_m_does(py):
    _files(py)
    plain = py.run(["-m", "boom"], tracers="record", check=1)
    done = py.run(["-m", "tracers", "run", "-m", "boom"], tracers="record", check=1)
    frames = re.findall(r'File "([^"]+)", line (\d+)', done.stderr)
    assert frames[-2:] == [(str(py.root / "boom.py"), "11"), (str(py.root / "boom.py"), "9")]
    assert done.stderr.rstrip().endswith("ValueError: boom 1")
    # python -m shows runpy's two frames above the module's; plain Python also warns that the
    # module's probes were not rewritten (two lines: the warning and its source line).
    plain_lines = plain.stderr.splitlines(keepends=True)
    assert "through the slower runtime fallback" in plain_lines[0]
    assert done.stderr == "".join(plain_lines[2:])


def test_syntax_error_in_the_script_is_reported_as_python_does(py):
    py.write({"bad.py": "from tracers import probe\n\nreturn 5\n"})
    plain = py.run(["bad.py"], check=1)
    done = py.run(["-m", "tracers", "run", "bad.py"], check=1)
    assert done.stderr == plain.stderr
    assert "SyntaxError" in done.stderr and "During handling" not in done.stderr


def test_system_exit_with_a_message(py):
    py.write({"bye.py": "import sys\nsys.exit('bye now')\n"})
    done = py.run(["-m", "tracers", "run", "bye.py"], check=1)
    assert done.stderr == "bye now\n"


def test_package_without_main_exits_1_like_python(py):
    py.write({"lib/__init__.py": ""})
    plain = py.run(["-m", "lib"], check=1)
    done = py.run(["-m", "tracers", "run", "-m", "lib"], check=1)
    assert "'lib' is a package and cannot be directly executed" in done.stderr
    assert plain.stderr.split(": ", 1)[1] == done.stderr.split(": ", 1)[1]


STRICT = """
    from tracers import probe, tracer

    @tracer
    class S:
        def n(x: int): ...

    def go():
        probe(S.n("not a number"))  # line 8

    go()
    print("survived")
"""


def test_strict_turns_a_bad_argument_into_an_error_in_the_users_line(py):
    py.write({"strict.py": STRICT})
    relaxed = py.run(["-m", "tracers", "run", "--backend", "record", "strict.py"])
    assert relaxed.stdout == "survived\n"
    assert "RuntimeWarning" in relaxed.stderr and "expected int" in relaxed.stderr
    done = py.run(["-m", "tracers", "run", "--strict", "--backend", "record", "strict.py"], check=1)
    assert done.stdout == ""
    assert f'File "{py.root / "strict.py"}", line 8, in go' in done.stderr
    assert "ProbeArgumentError" in done.stderr


MAIN_IMPORTS_BAD = "import helper\nprint('unreachable')\n"


@pytest.mark.parametrize("bad", ["x = (\n", "from tracers import probe\n\nreturn 5\n", "def f():\n    x = 1\n   y = 2\n"],
                         ids=["parse-error", "compile-error", "indentation"])
@pytest.mark.parametrize("mode", [None, "record"])
def test_syntax_error_on_import_is_reported_as_python_does(py, bad, mode):
    py.write({"main.py": MAIN_IMPORTS_BAD, "helper.py": bad})
    plain = py.run(["main.py"], tracers=mode, check=1)
    done = py.run(["-m", "tracers", "run", "main.py"], tracers=mode, check=1)
    assert done.stderr == plain.stderr
    assert "SyntaxError" in done.stderr or "IndentationError" in done.stderr


def test_syntax_error_on_import_under_run_module_is_reported_as_python_does(py):
    py.write({"main.py": MAIN_IMPORTS_BAD, "helper.py": "from tracers import probe\n\nreturn 5\n"})
    plain = py.run(["-m", "main"], check=1)
    done = py.run(["-m", "tracers", "run", "-m", "main"], check=1)
    assert done.stderr == plain.stderr


INTERRUPTED = """
    import os, signal, time

    def wait():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)  # line 5

    print("started", flush=True)
    wait()  # line 8
"""


@pytest.fixture
def sigint_default_in_children():
    """Children start with SIGINT at its default: a test run started as a background job of a
    shell without job control inherits SIGINT ignored, and Python then keeps it ignored. A
    handler here (not an ignored signal) is reset to the default when a child executes."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("how", [["interrupted.py"], ["-m", "interrupted"]], ids=["script", "module"])
@pytest.mark.usefixtures("sigint_default_in_children")
def test_uncaught_keyboard_interrupt_ends_the_program_as_python_does(py, how):
    py.write({"interrupted.py": INTERRUPTED})
    plain = py.run(how, check=None)
    done = py.run(["-m", "tracers", "run", *how], check=None)
    assert plain.returncode == -2  # killed by SIGINT, as Python ends on an uncaught KeyboardInterrupt
    assert (done.returncode, done.stdout, done.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert done.stderr.rstrip().endswith("KeyboardInterrupt")
