"""A rewritten ``__main__`` function pickles by value (cloudpickle) before its first call."""
from __future__ import annotations

import json

import pytest

from hook_support import require_module

PROGRAM = """
    import json, pickle, sys, threading
    import cloudpickle
    from tracers import probe, tracer

    lock = threading.Lock()  # a module global that cannot be pickled

    @tracer
    class P:
        def e(x: int): ...

    def double(x):
        probe(P.e(x))
        return x * 2

    gates = [name for name in double.__code__.co_names if name.startswith("_tracers_gate_")]
    copy = pickle.loads(cloudpickle.dumps(double))  # before the first call
    result = [copy(21), double(2)]
    resolved = [type(copy.__globals__[name]).__name__ for name in gates]
    print(json.dumps({"result": result, "gates": gates, "resolved": resolved,
                      "original": [type(globals()[name]).__name__ for name in gates]}))
"""


@pytest.mark.parametrize("mode", ["noop", "off"])
def test_cloudpickle_pickles_a_main_function_before_its_first_call(py, mode):
    require_module("cloudpickle")
    py.write({"prog.py": PROGRAM})
    flag = ["--off"] if mode == "off" else ["--backend", mode]
    done = py.run(["-m", "tracers", "run", *flag, "prog.py"])
    got = json.loads(done.stdout)
    assert got["result"] == [42, 4]
    if mode == "off":
        assert got["gates"] == []
    else:
        assert got["gates"] == ["_tracers_gate_0_P_e"]
        # Each copy resolved its own gate, in its own globals.
        assert "LazyGate" not in got["resolved"] and "LazyGate" not in got["original"]
