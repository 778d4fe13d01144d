"""Child processes of ``python -m tracers run`` get the hook: ``multiprocessing`` with
``spawn`` and ``forkserver`` (real pools), whose children run the main script again.

The hook reaches them through ``tracers-importhook.pth``, which ``pip install``
puts into site-packages: ``run`` sets ``TRACERS_IMPORTHOOK=1`` and every Python
started under it installs the hook as it starts.
"""
from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from hook_support import LOG_MODULE, unavailable

PROGRAM = """
    import json, multiprocessing, os, sys
    from tracers import probe, tracer
    import log, worker
    from log import arg

    @tracer
    class Main:
        def event(x: int): ...

    def work(n):
        probe(Main.event(arg(n)))  # in the child's copy of the main module
        worker.go(n)               # in a module the child imports
        events = []
        if "tracers.runtime.record" in sys.modules:
            from tracers.runtime import record
            events = [[e.probe, list(e.args)] for e in record.events()]
        import tracers.importhook
        return {"calls": log.calls, "events": events, "hook": tracers.importhook.installed(),
                "pid": os.getpid()}

    if __name__ == "__main__":
        context = multiprocessing.get_context(sys.argv[1])
        with context.Pool(1) as pool:
            got = pool.apply(work, (5,))
        got["parent"] = got.pop("pid") != os.getpid()
        print(json.dumps(got))
"""

WORKER = """
    from tracers import probe, tracer
    from log import arg

    @tracer
    class Worker:
        def event(x: int): ...

    def go(n):
        probe(Worker.event(arg(n)))
"""


@pytest.fixture
def startup_pth():
    pth = Path(sysconfig.get_paths()["purelib"]) / "tracers-importhook.pth"
    if not pth.exists():
        unavailable(f"{pth} is missing: install tracers with pip (pip install -e '.[test]')")
    return pth


@pytest.mark.parametrize("how", [["prog.py"], ["-m", "prog"]], ids=["script", "module"])
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_multiprocessing_children_of_run_get_the_hook(py, startup_pth, method, how):
    py.write({"prog.py": PROGRAM, "worker.py": WORKER, "log.py": LOG_MODULE})
    off = json.loads(py.run(["-m", "tracers", "run", "--off", *how, method]).stdout)
    assert off == {"calls": [], "events": [], "hook": True, "parent": True}
    on = json.loads(py.run(["-m", "tracers", "run", "--backend", "record", *how, method]).stdout)
    assert on == {"calls": [5, 5], "events": [["event", [5]], ["event", [5]]], "hook": True, "parent": True}


def test_the_control_plain_python_children_run_the_fallback(py, startup_pth):
    py.write({"prog.py": PROGRAM, "worker.py": WORKER, "log.py": LOG_MODULE})
    got = json.loads(py.run(["prog.py", "spawn"]).stdout)
    assert got == {"calls": [5, 5], "events": [], "hook": False, "parent": True}


def test_the_variable_installs_the_hook_at_start_up(py, startup_pth):
    py.write({"worker.py": WORKER, "log.py": LOG_MODULE})
    script = "import worker, log, tracers.importhook; worker.go(1); print(tracers.importhook.installed(), log.calls)"
    assert py.code(script, env={"TRACERS_IMPORTHOOK": "1"}).stdout == "True []\n"
    for unset in ({}, {"TRACERS_IMPORTHOOK": "0"}, {"TRACERS_IMPORTHOOK": ""}):
        assert py.code(script, env=unset).stdout == "False [1]\n"
    untouched = py.code("import sys; print('tracers' in sys.modules)")
    assert untouched.stdout == "False\n"  # the .pth imports nothing unless asked
