"""Tracing off: a probe statement compiles to nothing at all.

The bytecode of every example module, as the hook's loader path makes it,
equals the bytecode of the same file with its probe statements blanked out,
and a probe argument is never evaluated.
"""
from __future__ import annotations

import ast
import marshal
import shutil
from pathlib import Path
from types import CodeType
from typing import List

import pytest

from hook_support import EXAMPLES, HOOK, LOG_MODULE
from tracers.importhook._compile import compile_rewritten

EXAMPLE_FILES = sorted(
    [EXAMPLES / "simple.py", *(EXAMPLES / "shop").glob("*.py"), *(EXAMPLES / "sitecustomize").glob("*.py")]
)
PROBE_COUNTS = {"simple.py": 4, "orders.py": 2, "stock.py": 1, "worker.py": 1}


def _is_probe_statement(stmt: ast.stmt) -> bool:
    """``probe(X.y(...))`` or ``mod.probe(X.y(...))``, recognised independently of the hook."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    call = stmt.value
    func = call.func
    named = (isinstance(func, ast.Name) and func.id == "probe") or (
        isinstance(func, ast.Attribute) and func.attr == "probe" and isinstance(func.value, ast.Name))
    return named and len(call.args) == 1 and not call.keywords and isinstance(call.args[0], ast.Call)


def _blocks(tree: ast.AST):
    for node in ast.walk(tree):
        for _field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                yield value


def blank_probe_statements(source: str) -> "tuple[str, int]":
    """The source with each probe statement's lines replaced by spaces.

    A block left empty gets ``pass`` on its first probe's line, at the same
    indentation, so that it stays valid Python.
    """
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    count = 0
    for block in _blocks(tree):
        probes = [stmt for stmt in block if _is_probe_statement(stmt)]
        for stmt in probes:
            first, last = lines[stmt.lineno - 1], lines[stmt.end_lineno - 1]
            assert not first[: stmt.col_offset].strip() and not last[stmt.end_col_offset:].split("#")[0].strip(), \
                f"line {stmt.lineno}: a probe statement sharing its lines is not supported by this test"
            for index in range(stmt.lineno - 1, stmt.end_lineno):
                lines[index] = " " * (len(lines[index]) - 1) + "\n"
            count += 1
        if probes and len(probes) == len(block):
            stmt = probes[0]
            line = lines[stmt.lineno - 1]
            lines[stmt.lineno - 1] = " " * stmt.col_offset + "pass" + line[stmt.col_offset + 4:]
    return "".join(lines), count


def code_differences(got: CodeType, want: CodeType, where: str = "") -> List[str]:
    """Differences in the fields that make up behaviour, recursively through nested code."""
    where = f"{where}/{want.co_name}"
    found = []
    for field in ("co_name", "co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars",
                  "co_argcount", "co_flags", "co_firstlineno"):
        if getattr(got, field) != getattr(want, field):
            found.append(f"{where}: {field}: {getattr(got, field)!r} != {getattr(want, field)!r}")
    if len(got.co_consts) != len(want.co_consts):
        return found + [f"{where}: co_consts: {got.co_consts!r} != {want.co_consts!r}"]
    for mine, theirs in zip(got.co_consts, want.co_consts):
        if isinstance(theirs, CodeType):
            if not isinstance(mine, CodeType):
                found.append(f"{where}: constant {mine!r} where code {theirs.co_name} was expected")
            else:
                found += code_differences(mine, theirs, where)
        elif type(mine) is not type(theirs) or mine != theirs:
            found.append(f"{where}: constant {mine!r} != {theirs!r}")
    return found


def _expected_code(path: Path) -> CodeType:
    blanked, count = blank_probe_statements(path.read_text(encoding="utf-8"))
    assert count == PROBE_COUNTS.get(path.name, 0), f"{path}: the examples changed; update PROBE_COUNTS"
    return compile(blanked, str(path), "exec", dont_inherit=True)


def test_every_example_is_covered():
    names = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLE_FILES}
    assert {"simple.py", "shop/orders.py", "shop/stock.py", "shop/probes.py", "sitecustomize/worker.py"} <= names


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_off_code_equals_source_without_probe_lines(path: Path):
    source = path.read_bytes()
    rewritten = compile_rewritten(source, str(path), enabled=False)
    assert code_differences(rewritten, _expected_code(path)) == []
    if PROBE_COUNTS.get(path.name):  # the comparison can tell a probe apart
        original = compile(source, str(path), "exec", dont_inherit=True)
        assert code_differences(original, _expected_code(path)) != []


def test_blanking_keeps_a_block_whose_only_statement_is_a_probe_valid():
    blanked, count = blank_probe_statements("if x:\n    probe(P.e(1))\nelse:\n    y = 1\n")
    assert count == 1
    assert blanked.splitlines()[1].rstrip() == "    pass"
    compile(blanked, "<test>", "exec")


def test_loader_gives_the_same_code_as_compile_rewritten(py, tmp_path):
    """The loader path (first compiling, then reading its tagged pyc) gives the off code."""
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    out.mkdir()
    py.code(
        """
        import marshal, os, sys
        from pathlib import Path
        from tracers.importhook import TracersLoader
        root, out = Path(sys.argv[1]), Path(sys.argv[2])
        for index, path in enumerate(sorted(root.rglob("*.py"))):
            loader = TracersLoader(path.stem, str(path))
            first, second = loader.get_code(path.stem), loader.get_code(path.stem)
            assert first == second, path
            (out / f"{path.relative_to(root).as_posix().replace('/', '.')}.code").write_bytes(marshal.dumps(second))
        """,
        str(copy), str(out),
    )
    for path in EXAMPLE_FILES:
        relative = path.relative_to(EXAMPLES).as_posix()
        code = marshal.loads((out / f"{relative.replace('/', '.')}.code").read_bytes())
        expected = compile(blank_probe_statements(path.read_text(encoding="utf-8"))[0],
                           str(copy / relative), "exec", dont_inherit=True)
        assert code_differences(code, expected) == [], relative
        if PROBE_COUNTS.get(path.name):  # written as a tagged pyc next to the copy
            assert list((copy / relative).parent.glob(f"__pycache__/{path.stem}.*tracers*off.pyc"))


SIDE_EFFECTS = {
    "log.py": LOG_MODULE,
    "fired.py": """
        import tracers as t
        from tracers import probe, tracer
        from log import arg

        @tracer
        class P:
            def one(a: int): ...
            def two(a: str, b: int): ...

        probe(P.one(arg(1)))

        def f(n):
            probe(P.two(arg("f"), arg(n)))
            t.probe(P.one(arg(n + 1)))
            if n:
                probe(P.one(1 // 0))
            return n * 2

        def only_a_probe():
            probe(P.one(arg(3)))

        class C:
            probe(P.one(arg(4)))

            def m(self):
                for i in range(2):
                    probe(P.one(arg(i)))
                return "m"
        """,
}

EXERCISE = """
    import json, sys
    {hook}
    import fired, log
    results = [fired.f(5), fired.only_a_probe(), fired.C().m()]
    print(json.dumps({{"calls": log.calls, "results": results,
                      "backend_loaded": "tracers.runtime" in sys.modules,
                      "loader": type(fired.__loader__).__name__}}))
"""


@pytest.mark.parametrize("value", [None, "0", "off", "OFF"])
def test_off_never_evaluates_probe_arguments(py, value):
    py.write(SIDE_EFFECTS)
    got = py.result(EXERCISE.format(hook=HOOK), tracers=value)
    assert got == {"calls": [], "results": [10, None, "m"], "backend_loaded": False, "loader": "TracersLoader"}


def test_without_the_hook_the_same_module_evaluates_its_arguments(py):
    """The control for the test above: the fallback path evaluates arguments (and 1 // 0 raises)."""
    py.write(SIDE_EFFECTS)
    done = py.code(EXERCISE.format(hook=""), check=1)
    assert "ZeroDivisionError" in done.stderr


def test_off_module_has_no_gates_and_no_probe_calls(py):
    py.write(SIDE_EFFECTS)
    got = py.result(
        f"""
        import dis, json
        {HOOK}
        import fired
        names = sorted(n for n in vars(fired) if n.startswith("_tracers"))
        calls = [i.argval for i in dis.get_instructions(fired.f) if i.argval in ("probe", "fire", "arg")]
        print(json.dumps([names, calls]))
        """
    )
    assert got == [[], []]
