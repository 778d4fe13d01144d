"""The public surface of the transform: the pre-check, purity, locations, and
the behaviour of rewritten sites."""
import ast
import types
from textwrap import dedent

import pytest

from tracers.importhook._transform import RewriteResult, rewrite, uses_probe

SOURCE = dedent(
    '''\
    """Doc."""
    from __future__ import annotations
    from tracers import probe
    from app import Global

    def f(P, counter):
        x = 1
        probe(P.event(x, counter.bump()))
        probe(Global.event(x))
        return x
    '''
)
SITE_LINE = 8


@pytest.mark.parametrize(
    "source",
    [
        b"from tracers import probe\nprobe(P.e())\n",
        b"import tracers\ntracers.probe(P.e())\n",
        b"# tracers: probe\n",  # a cheap check may say yes wrongly, never no wrongly
    ],
)
def test_uses_probe_true(source: bytes) -> None:
    assert uses_probe(source)


@pytest.mark.parametrize(
    "source",
    [b"", b"import tracers\n", b"probe(P.e())\n", b"from tracing import probe\n", b"TRACERS PROBE"],
)
def test_uses_probe_false(source: bytes) -> None:
    assert not uses_probe(source)


@pytest.mark.parametrize("enabled", [True, False])
def test_input_is_not_mutated(enabled: bool) -> None:
    tree = ast.parse(SOURCE)
    before = ast.dump(tree, include_attributes=True)
    result = rewrite(tree, enabled=enabled)
    assert result.sites == 2
    assert ast.dump(tree, include_attributes=True) == before
    assert result.tree is not tree


@pytest.mark.parametrize("enabled", [True, False])
def test_no_sites_gives_an_equal_tree(enabled: bool) -> None:
    tree = ast.parse("from tracers import probe\nx = probe\nprobe(P.e(), 2)\n")
    result = rewrite(tree, enabled=enabled)
    assert result.sites == 0
    assert ast.dump(result.tree, include_attributes=True) == ast.dump(tree, include_attributes=True)


def test_result_is_frozen() -> None:
    result = rewrite(ast.parse(""), enabled=True)
    assert result == RewriteResult(result.tree, 0)
    with pytest.raises(AttributeError):
        result.sites = 1  # type: ignore[misc]


@pytest.mark.parametrize("enabled", [True, False])
def test_scoping_errors_are_left_for_the_compiler(enabled: bool) -> None:
    tree = ast.parse("from tracers import probe\nnonlocal probe\nprobe(P.e())\n")
    result = rewrite(tree, enabled=enabled)
    with pytest.raises(SyntaxError):
        compile(result.tree, "bad.py", "exec")


def _location(node: ast.AST) -> tuple:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def test_inserted_nodes_take_the_site_location() -> None:
    tree = ast.parse(SOURCE)
    sites = [node for node in ast.walk(tree) if isinstance(node, ast.Expr) and node.lineno >= SITE_LINE]
    result = rewrite(tree, enabled=True)
    guards = [node for node in ast.walk(result.tree) if isinstance(node, ast.If)]
    assert len(guards) == len(sites) == 2
    for guard, site in zip(sorted(guards, key=_location), sorted(sites, key=_location)):
        for node in ast.walk(guard):
            if hasattr(node, "lineno"):
                assert site.lineno <= node.lineno <= node.end_lineno <= site.end_lineno
        assert _location(guard) == _location(guard.test) == _location(guard.body[0]) == _location(site)


MULTI_LINE = dedent(
    """\
    from tracers import probe
    from app import Global

    def f(P):
        probe(P.event(
            1,
        ))
        probe(Global.event(
            2,
        ))
    """
)


def test_new_nodes_of_a_multi_line_site_sit_on_its_first_line() -> None:
    """Only the guard statement and the fire call span the statement; the
    gate test and the ``.fire`` attribute (where Python puts a method call's
    line) are on its first line, where plain Python reports the probe call."""
    tree = ast.parse(MULTI_LINE)
    sites = [node for node in tree.body[2].body]
    result = rewrite(tree, enabled=True)
    guards = result.tree.body[-1].body
    assert len(guards) == len(sites) == 2
    for guard, site in zip(guards, sites):
        (fire_statement,) = guard.body
        fire = fire_statement.value
        assert _location(guard) == _location(fire_statement) == _location(fire) == _location(site)
        original = set(ast.walk(site))
        new = [node for node in (*ast.walk(guard.test), *ast.walk(fire.func))
               if node not in original and hasattr(node, "lineno")]
        assert new
        for node in new:
            assert node.lineno == node.end_lineno == site.lineno, ast.dump(node)


def test_prologue_takes_the_location_of_the_first_following_statement() -> None:
    result = rewrite(ast.parse(SOURCE), enabled=True)
    gate_import, gate, first = result.tree.body[2:5]  # after docstring and __future__
    assert isinstance(gate_import, ast.ImportFrom) and gate_import.module == "tracers._gate"
    assert isinstance(gate, ast.Assign)
    for node in (*ast.walk(gate_import), *ast.walk(gate)):
        if hasattr(node, "lineno"):
            assert _location(node) == _location(first) == (3, 0, 3, 25)


def test_deleted_block_gets_a_located_pass() -> None:
    tree = ast.parse("from tracers import probe\nif x:\n    probe(P.e())\n")
    (_, branch) = rewrite(tree, enabled=False).tree.body
    (stub,) = branch.body
    assert isinstance(stub, ast.Pass)
    assert _location(stub) == (3, 4, 3, 16)


class _Event:
    def __init__(self, gate: bool) -> None:
        self.gate = gate
        self.fired: list = []

    def fire(self, *args: object) -> None:
        self.fired.append(args)
        if args == ("boom",):
            raise RuntimeError(args)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def bump(self) -> int:
        self.calls += 1
        return self.calls


def _compiled_f(source: str, enabled: bool) -> types.FunctionType:
    """Build ``f`` straight from its code object, without running the module."""
    code = compile(rewrite(ast.parse(source), enabled=enabled).tree, "site.py", "exec")
    (f_code,) = [const for const in code.co_consts if isinstance(const, types.CodeType)]
    return types.FunctionType(f_code, {"_tracers_gate_0_Global_event": False})


@pytest.mark.parametrize("open_gate", [True, False])
def test_arguments_are_evaluated_only_behind_an_open_gate(open_gate: bool) -> None:
    f = _compiled_f(SOURCE, enabled=True)
    provider, counter = types.SimpleNamespace(event=_Event(open_gate)), _Counter()
    assert f(provider, counter) == 1
    assert counter.calls == (1 if open_gate else 0)
    assert provider.event.fired == ([(1, 1)] if open_gate else [])


def test_disabled_sites_evaluate_nothing() -> None:
    f = _compiled_f(SOURCE, enabled=False)
    provider, counter = types.SimpleNamespace(event=_Event(True)), _Counter()
    assert f(provider, counter) == 1
    assert counter.calls == 0 and provider.event.fired == []


def test_traceback_points_at_the_probe_line() -> None:
    source = "import tracers\n\ndef f(P):\n    x = 'boom'\n    tracers.probe(P.event(x))\n"
    f = _compiled_f(source, enabled=True)
    with pytest.raises(RuntimeError) as caught:
        f(types.SimpleNamespace(event=_Event(True)))
    frame = next(entry for entry in caught.traceback if entry.name == "f")
    assert frame.lineno + 1 == 5  # pytest counts lines from zero
