"""How name resolution decides what is a probe site and which guard it gets."""
import ast
import sys
from textwrap import dedent

import pytest

from tracers.importhook._transform import rewrite


def _guards(source: str) -> list:
    """For each probe site, in line order: "global" (module gate) or "local" (.gate)."""
    tree = rewrite(ast.parse(dedent(source)), enabled=True).tree
    guards = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        if isinstance(node.test, ast.Name) and node.test.id.startswith("_tracers_gate_"):
            guards.append((node.lineno, "global"))
        elif isinstance(node.test, ast.Attribute) and node.test.attr == "gate":
            guards.append((node.lineno, "local"))
    return [kind for _, kind in sorted(guards)]


RECOGNITION = {
    "import inside the function": (
        """
        def f():
            from tracers import probe
            probe(P.e())
        """,
        ["global"],
    ),
    "import in another function only": (
        """
        def f():
            from tracers import probe
        def g():
            probe(P.e())
        """,
        [],
    ),
    "module import inside the function": (
        """
        def f():
            import tracers
            tracers.probe(P.e())
        """,
        ["global"],
    ),
    "imported twice": (
        """
        from tracers import probe
        from tracers import probe as probe
        probe(P.e())
        """,
        ["global"],
    ),
    "module rebound after import": (
        """
        import tracers
        tracers = None
        tracers.probe(P.e())
        """,
        [],
    ),
    "global declared at module level": (
        """
        from tracers import probe
        global probe
        probe(P.e())
        """,
        ["global"],
    ),
    "relative import": ("from . import probe\nprobe(P.e())", []),
    "import from a tracers submodule": ("from tracers.sub import probe\nprobe(P.e())", []),
    "star import from tracers is not followed": ("from tracers import *\nprobe(P.e())", []),
    "star import elsewhere does not shadow": (
        """
        from tracers import probe
        from other import *
        probe(P.e())
        """,
        ["global"],
    ),
    "module imported under the name probe": ("import tracers as probe\nprobe(P.e())", []),
    "probe imported under the name tracers": (
        "from tracers import probe as tracers\ntracers.probe(P.e())",
        [],
    ),
    "submodule imported under an alias": ("import tracers.sub as t\nt.probe(P.e())", []),
    "nonlocal rebinding in an inner function": (
        """
        def outer():
            from tracers import probe
            def inner():
                nonlocal probe
                probe = print
            probe(P.e())
        """,
        [],
    ),
    "nonlocal rebinding written before the import": (
        """
        def outer():
            def inner():
                nonlocal probe
                probe = print
            from tracers import probe
            probe(P.e())
        """,
        [],
    ),
    "walrus in a comprehension binds in the function": (
        """
        from tracers import probe
        def f(xs):
            [(probe := x) for x in xs]
            probe(P.e())
        """,
        [],
    ),
    "walrus in a comprehension at module level": (
        """
        from tracers import probe
        [(probe := x) for x in xs]
        probe(P.e())
        """,
        [],
    ),
    "walrus in a default binds outside the function": (
        """
        from tracers import probe
        def f(x=(probe := 1)):
            pass
        probe(P.e())
        """,
        [],
    ),
    "class attribute is invisible to methods": (
        """
        from tracers import probe
        class C:
            probe = None
            def m(self):
                probe(P.e())
        """,
        ["global"],
    ),
    "class in a function sees the closure": (
        """
        def f():
            from tracers import probe
            class C:
                probe(P.e())
        """,
        ["global"],
    ),
}


@pytest.mark.parametrize("source, expected", RECOGNITION.values(), ids=list(RECOGNITION))
def test_recognition(source: str, expected: list) -> None:
    assert _guards(source) == expected


HEADS = {
    "unbound name": ("probe(Missing.e())", ["global"]),
    "module global in a function": ("def f():\n    probe(P.e())", ["global"]),
    "parameter": ("def f(P):\n    probe(P.e())", ["local"]),
    "assigned after the site": ("def f():\n    probe(P.e())\n    P = 1", ["local"]),
    "deleted": ("def f():\n    del P\n    probe(P.e())", ["local"]),
    "declared global": ("def f():\n    global P\n    P = 1\n    probe(P.e())", ["global"]),
    "lambda parameter does not leak": ("def f():\n    g = lambda P: P\n    probe(P.e())", ["global"]),
    "comprehension target does not leak": ("def f(xs):\n    [P for P in xs]\n    probe(P.e())", ["global"]),
    "walrus in a comprehension": ("def f(xs):\n    [(P := x) for x in xs]\n    probe(P.e())", ["local"]),
    "closure": ("def f(P):\n    def g():\n        probe(P.e())", ["local"]),
    "closure through nonlocal": (
        "def f(P):\n    def g():\n        nonlocal P\n        probe(P.e())",
        ["local"],
    ),
    "enclosing function declares global": (
        "def f():\n    global P\n    def g():\n        probe(P.e())",
        ["global"],
    ),
    "class body binds it": ("class C:\n    P = 1\n    probe(P.e())", ["local"]),
    "class body declares global": ("class C:\n    global P\n    P = 1\n    probe(P.e())", ["global"]),
    "method of a class that binds it": ("class C:\n    P = 1\n    def m(self):\n        probe(P.e())", ["global"]),
    "method closing over a function": (
        "def f(P):\n    class C:\n        def m(self):\n            probe(P.e())",
        ["local"],
    ),
    "nested class in a function": ("def f():\n    class P: pass\n    probe(P.e())", ["local"]),
    "import in the function": ("def f():\n    import P\n    probe(P.e())", ["local"]),
}


@pytest.mark.parametrize("body, expected", HEADS.values(), ids=list(HEADS))
def test_head_resolution(body: str, expected: list) -> None:
    assert _guards("from tracers import probe\n" + body) == expected


@pytest.mark.skipif(sys.version_info < (3, 12), reason="type parameter syntax")
def test_type_parameter_is_not_global() -> None:
    source = """
        from tracers import probe
        type Alias[P] = list[P]
        def f[P]():
            def g():
                probe(P.e())
        class C[P]:
            def m(self):
                probe(P.e())
    """
    assert _guards(source) == ["local", "local"]
