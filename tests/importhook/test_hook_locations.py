"""Rewritten modules keep the user's file and line numbers: tracebacks, inspect, frames."""
from __future__ import annotations

import pytest

from hook_support import HOOK

# Each "# L:name" comment marks a line a test looks for.
LOCATED = '''\
"""A module whose probes sit before the lines that fail."""
from __future__ import annotations

import sys

from tracers import probe, tracer


@tracer
class Where:
    def here(n: int): ...
    def two(a: int, b: str): ...


def fails(n):
    probe(Where.here(n))
    probe(Where.two(
        n,
        "multi-line",
    ))
    value = n * 2
    raise ValueError(value)  # L:fails


def frame_line():
    probe(Where.here(0))
    return sys._getframe().f_lineno  # L:frame


class Holder:
    def method(self):
        if True:
            probe(Where.here(1))
        return 1 / 0  # L:method


probe(Where.here(2))
MODULE_LINE = sys._getframe().f_lineno  # L:module
'''

MARKS = {line.split("# L:")[1]: number
         for number, line in enumerate(LOCATED.splitlines(), 1) if "# L:" in line}

REPORT = f"""
    import inspect, json, sys, traceback
    {HOOK}
    import located

    def last_frame(call):
        try:
            call()
        except Exception as error:
            frame = traceback.extract_tb(error.__traceback__)[-1]
            return [frame.filename, frame.lineno, frame.name, frame.line]

    print(json.dumps({{
        "fails": last_frame(lambda: located.fails(3)),
        "method": last_frame(lambda: located.Holder().method()),
        "frame": located.frame_line(),
        "module": located.MODULE_LINE,
        "source": inspect.getsource(located.fails),
        "source_line": inspect.getsourcelines(located.Holder.method)[1],
        "firstlineno": located.fails.__code__.co_firstlineno,
        "file": located.__file__,
        "code_file": located.fails.__code__.co_filename,
        "loader": type(located.__loader__).__name__,
        "gates": any(n.startswith("_tracers_gate_") for n in vars(located)),
    }}))
"""


@pytest.mark.parametrize("mode", [None, "record", "noop"])
def test_tracebacks_and_source_point_at_the_users_lines(py, mode):
    py.write({"located.py": LOCATED})
    path = str(py.root / "located.py")
    got = py.result(REPORT, tracers=mode)
    assert got["loader"] == "TracersLoader"
    assert got["gates"] is (mode is not None)
    assert got["fails"] == [path, MARKS["fails"], "fails", "raise ValueError(value)  # L:fails"]
    assert got["method"] == [path, MARKS["method"], "method", "return 1 / 0  # L:method"]
    assert got["frame"] == MARKS["frame"]
    assert got["module"] == MARKS["module"]
    lines = LOCATED.splitlines(keepends=True)
    start = lines.index("def fails(n):\n")
    assert got["source"] == "".join(lines[start:MARKS["fails"]])
    assert got["firstlineno"] == start + 1
    assert got["source_line"] == lines.index("    def method(self):\n") + 1
    assert got["file"] == got["code_file"] == path


def test_uncaught_traceback_text_shows_the_users_line(py):
    py.write({"located.py": LOCATED})
    done = py.code(f"{HOOK}\nimport located\nlocated.fails(1)\n", tracers="record", check=1)
    assert f'File "{py.root / "located.py"}", line {MARKS["fails"]}, in fails' in done.stderr
    assert "raise ValueError(value)  # L:fails" in done.stderr
    assert "_gate" not in done.stderr and "fire" not in done.stderr


def test_line_numbers_are_the_same_as_without_the_hook(py):
    """Every line the code objects name is the same with and without the hook, in both modes."""
    py.write({"located.py": LOCATED})
    script = """
        import dis, json, types
        {hook}
        import located

        def lines(code):
            found = {{code.co_name: code.co_firstlineno}}
            for const in code.co_consts:
                if isinstance(const, types.CodeType):
                    found.update(lines(const))
            return found

        code = located.__loader__.get_code("located")
        print(json.dumps(lines(code)))
    """
    plain = py.result(script.format(hook=""))
    for mode in (None, "record"):
        assert py.result(script.format(hook=HOOK), tracers=mode) == plain


# Probe statements over several lines, in each form the hook rewrites them to.
MULTI_LINE = '''\
from tracers import probe, tracer


@tracer
class Where:
    def one(a: int, b: str): ...
    def two(a: int, b: str): ...
    def three(a: int, b: str): ...
    def four(a: int, b: str): ...


def global_form():
    probe(Where.one(
        "not an int",
        "global",
    ))


def local_form(P):
    probe(P.two(
        "not an int",
        "local",
    ))


def keyword_form():
    probe(Where.three(
        a="not an int",
        b="keywords",
    ))


def class_form():
    class Body:
        W = Where
        probe(W.four(
            "not an int",
            "class",
        ))
'''

FIRE_REPORT = """
    import json, traceback, warnings
    {hook}
    import multiline
    from tracers import ProbeArgumentError

    calls = [multiline.global_form, lambda: multiline.local_form(multiline.Where), multiline.keyword_form,
             multiline.class_form]
    found = []
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call()
            except ProbeArgumentError as error:
                frame = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == multiline.__file__][-1]
                found.append(["raised", frame.lineno, getattr(frame, "end_lineno", None),
                              getattr(frame, "colno", None), getattr(frame, "end_colno", None), frame.line])
        found += [["warned", w.filename, w.lineno] for w in caught if w.category is RuntimeWarning
                  and "through the slower runtime fallback" not in str(w.message)]  # plain's "not rewritten"
    print(json.dumps(found))
"""


@pytest.mark.parametrize("strict", ["0", "1"], ids=["warning", "strict"])
def test_multi_line_probes_are_reported_where_plain_python_reports_them(py, strict):
    """Warnings and strict-mode tracebacks name the statement's line (and on 3.11+ its
    columns) exactly as the unrewritten statement, fired through ``probe()``, does."""
    py.write({"multiline.py": MULTI_LINE})
    env = {"TRACERS_STRICT": strict, "PYTHONDONTWRITEBYTECODE": "1"}
    plain = py.result(FIRE_REPORT.format(hook=""), tracers="record", env=env)
    hooked = py.result(FIRE_REPORT.format(hook=HOOK), tracers="record", env=env)
    assert len(plain) == 4
    assert hooked == plain
