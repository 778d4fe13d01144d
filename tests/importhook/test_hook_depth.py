"""Deeply nested modules (generated code: thousands of ``elif`` branches or
``a + a + ...`` terms) import under the hook whenever plain Python imports
them, in both modes, through import, ``run`` and ``show``; deeper than plain
Python accepts, they fail with plain Python's error."""
from __future__ import annotations

import json
import sys

import pytest

from hook_support import HOOK

# What plain Python compiles from source on every supported version (more on 3.13).
LEVELS = 5000 if sys.version_info >= (3, 13) else 2500
# Python 3.12 compiles a syntax tree at most about 1,500 levels deep, even with room.
TREE_COMPILE_LIMITED = sys.version_info[:2] == (3, 12)

PROVIDER = "from tracers import probe, tracer\n\n@tracer\nclass Deep:\n    def seen(n: int): ...\n\n"
WORDS_ONLY = "# This module mentions tracers and probe but has no probe site.\n"


def elif_module(levels: int, with_probe: bool) -> str:
    last = levels - 1
    branches = "".join(f"    elif x == {i}:\n        return {i}\n" for i in range(1, last))
    fire = "        probe(Deep.seen(x))\n" if with_probe else ""
    return ((PROVIDER if with_probe else WORDS_ONLY)
            + f"def f(x):\n    if x == 0:\n        return 0\n{branches}    elif x == {last}:\n{fire}"
            + f"        return x\n    return -1\n\nRESULT = f({last})\n")


def sum_module(levels: int, with_probe: bool) -> str:
    fire = "probe(Deep.seen(RESULT))\n" if with_probe else ""
    return ((PROVIDER if with_probe else WORDS_ONLY)
            + "a = 1\nRESULT = " + " + ".join(["a"] * levels) + "\n" + fire)


SHAPES = {"elif": elif_module, "sum": sum_module}

IMPORT = """
    import json, sys, warnings
    {hook}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import deep
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [[event.probe, *event.args] for event in record.events()]
    print(json.dumps({{"result": deep.RESULT, "events": events, "loader": type(deep.__loader__).__name__,
                      "warnings": [[str(w.message), w.filename, w.lineno] for w in caught
                                   if w.category is RuntimeWarning]}}))
"""


@pytest.mark.parametrize("with_probe", [True, False], ids=["probe", "words_only"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_deep_modules_import_in_both_modes(py, shape, with_probe):
    py.write({"deep.py": SHAPES[shape](LEVELS, with_probe)})
    plain = py.result(IMPORT.format(hook=""))
    assert plain["warnings"] == []
    for mode in (None, "record"):
        for cache in ("cold", "warm"):
            got = py.result(IMPORT.format(hook=HOOK), tracers=mode)
            assert got["loader"] == "TracersLoader", (mode, cache)
            assert got["result"] == plain["result"], (mode, cache)
            fired = with_probe and mode == "record"
            assert got["events"] == ([["seen", plain["result"]]] if fired else []), (mode, cache)
            if with_probe and TREE_COMPILE_LIMITED and cache == "cold":
                ((message, filename, line),) = got["warnings"]
                assert "nested too deeply" in message and "run as written" in message
                assert (filename, line) == (str(py.root / "deep.py"), 1)
            else:
                assert got["warnings"] == [], (mode, cache)


@pytest.mark.parametrize("mode", [None, "record"])
def test_deep_script_runs_and_shows(py, mode):
    py.write({"deep.py": sum_module(LEVELS, True) + "print(RESULT)\n"})
    done = py.run(["-m", "tracers", "run", "deep.py"], tracers=mode)
    assert done.stdout == f"{LEVELS}\n"
    shown = py.run(["-m", "tracers", "show", "deep.py"], tracers=mode)
    assert shown.stdout.count(" + ") == LEVELS - 1
    rewritten = mode is not None and not TREE_COMPILE_LIMITED
    assert ("if _tracers_gate_0_Deep_seen:\n    Deep.seen.fire(RESULT)\n" in shown.stdout) is rewritten
    diff = py.run(["-m", "tracers", "show", "deep.py", "--diff"], tracers=mode)
    assert ("-probe(Deep.seen(RESULT))" in diff.stdout) is not TREE_COMPILE_LIMITED


COMPARE_ERROR = """
    import json
    {hook}
    try:
        import deep
    except BaseException as error:
        print(json.dumps([type(error).__name__, str(error)]))
"""


def test_deeper_than_plain_python_fails_as_plain_python_does(py):
    py.write({"deep.py": sum_module(12_000, True)})
    plain = json.loads(py.code(COMPARE_ERROR.format(hook=""), env={"PYTHONDONTWRITEBYTECODE": "1"}).stdout)
    assert plain[0] in ("RecursionError", "MemoryError")
    for mode in (None, "record"):
        hooked = py.code(COMPARE_ERROR.format(hook=HOOK), tracers=mode, env={"PYTHONDONTWRITEBYTECODE": "1"})
        assert json.loads(hooked.stdout) == plain
