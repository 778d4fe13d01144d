"""A user's pytest run with the hook installed from conftest.py.

pytest's assertion rewriting keeps owning test modules; the modules those
tests import are rewritten by tracers. (With TRACERS set, the tracers pytest
plugin also rewrites the test modules' probes: see tests/pytest_plugin.)
"""
from __future__ import annotations

import re

FILES = {
    "conftest.py": """
        import tracers.importhook
        tracers.importhook.install()
        """,
    "helper.py": """
        from tracers import probe, tracer

        @tracer
        class HelperProbes:
            def work(n: int): ...

        def work(n):
            probe(HelperProbes.work(n * 10))
            return n + 1
        """,
    "test_user.py": """
        import sys

        from tracers import probe, tracer
        from tracers.runtime import record

        import helper

        @tracer
        class TestProbes:
            def step(name: str): ...

        def test_fires():
            record.clear()
            probe(TestProbes.step("start"))
            assert helper.work(4) == 5
            assert [(e.probe, e.args) for e in record.events()] == [("step", ("start",)), ("work", (40,))]

        def test_helper_is_rewritten_by_tracers():
            assert type(helper.__loader__).__name__ == "TracersLoader"
            assert any(name.startswith("_tracers_gate_") for name in vars(helper))

        def test_assertion_rewriting_still_owns_this_module():
            assert "@py_builtins" in globals()
            assert type(__loader__).__name__ == "AssertionRewritingHook"

        def test_deliberately_failing():
            assert helper.work(1) == 7
        """,
}


def test_pytest_run_with_the_hook_in_conftest(py):
    py.write(FILES)
    done = py.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error::RuntimeWarning",
                   "test_user.py"], tracers="record", check=1)
    out = done.stdout
    assert re.search(r"\b1 failed, 3 passed\b", out), out
    assert "FAILED test_user.py::test_deliberately_failing" in out
    # pytest's introspection of the failing assert: only present when it rewrote the module.
    assert "where 2 = <function work at" in out, out
    assert "RuntimeWarning" not in out  # installing from conftest.py warns about nothing


def test_pytest_run_with_tracing_off(py):
    py.write({**FILES, "test_user.py": """
        import helper
        from tracers import probe, tracer

        @tracer
        class TestProbes:
            def step(name: str): ...

        def test_off():
            probe(TestProbes.step("start"))
            assert helper.work(4) == 5
            assert type(helper.__loader__).__name__ == "TracersLoader"
            assert not any(name.startswith("_tracers") for name in vars(helper))
        """})
    done = py.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"])
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout
