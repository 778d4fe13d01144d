"""The transform copes with modules nested as deeply as the compiler accepts,
whatever Python's recursion limit: generated code has thousands of ``elif``
branches or ``a + a + ...`` terms."""
import ast
import sys
from contextlib import contextmanager

import pytest

from tracers.importhook import _deep
from tracers.importhook._scopes import build_scopes
from tracers.importhook._transform import rewrite

# What plain Python compiles from source on every supported version (more on 3.13).
LEVELS = 5000 if sys.version_info >= (3, 13) else 2500

HEADER = "from tracers import probe\nfrom app import P\n"


def elif_chain(levels: int) -> str:
    branches = "".join(f"    elif x == {i}:\n        probe(P.branch({i}))\n" for i in range(1, levels))
    return HEADER + f"def f(x):\n    if x == 0:\n        return 0\n{branches}    probe(P.done(x))\n"


def long_sum(levels: int) -> str:
    return HEADER + "a = 1\ntotal = " + " + ".join(["a"] * levels) + "\nprobe(P.total(total))\n"


@contextmanager
def recursion_limit_of(frames: int):
    """Python's recursion limit set to ``frames`` more than the current depth."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


@pytest.mark.parametrize("make, sites", [(elif_chain, LEVELS), (long_sum, 1)], ids=["elif", "sum"])
@pytest.mark.parametrize("enabled", [True, False])
def test_rewrite_does_not_depend_on_the_recursion_limit(make, sites, enabled):
    tree = ast.parse(make(LEVELS))
    with recursion_limit_of(100):
        build_scopes(tree)
        result = rewrite(tree, enabled=enabled)
    assert result.sites == sites
    guards = [node for node in ast.walk(result.tree) if isinstance(node, ast.If) and
              isinstance(node.test, ast.Name) and node.test.id.startswith("_tracers_gate_")]
    assert len(guards) == (sites if enabled else 0)


def test_deep_probe_arguments_are_checked_without_recursion():
    """The refused-construct check walks the arguments, which may be deep too."""
    deep_argument = " + ".join(["a"] * LEVELS)
    tree = ast.parse(HEADER + f"def f(a):\n    probe(P.e({deep_argument}))\n")
    with recursion_limit_of(100):
        assert rewrite(tree, enabled=True).sites == 1


def test_depth_is_counted_without_recursion():
    tree = ast.parse(long_sum(LEVELS))
    with recursion_limit_of(100):
        levels = _deep.depth(tree)
    assert LEVELS < levels < LEVELS + 10


def test_unparse_of_a_deep_tree_gets_room():
    tree = ast.parse(long_sum(LEVELS))
    with pytest.raises(RecursionError):
        ast.unparse(tree)  # what needs the room
    limit = sys.getrecursionlimit()
    text = _deep.call(lambda: ast.unparse(tree), tree)
    assert text.count(" + ") == LEVELS - 1
    assert sys.getrecursionlimit() == limit


def test_errors_of_the_roomy_call_are_raised_in_the_caller():
    tree = ast.parse("x = 1")

    def fails():
        raise RecursionError("always")

    with pytest.raises(RecursionError, match="always"):
        _deep.call(fails, tree)


def test_without_a_thread_the_first_error_stands(monkeypatch):
    import threading

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    tree = ast.parse(long_sum(LEVELS))
    limit = sys.getrecursionlimit()
    with pytest.raises(RecursionError) as caught:
        _deep.call(lambda: ast.unparse(tree), tree)
    assert caught.value.__context__ is None
    assert sys.getrecursionlimit() == limit
