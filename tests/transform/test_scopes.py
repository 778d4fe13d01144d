"""How name resolution decides what is a probe site and which guard it gets."""
import ast
import sys
from textwrap import dedent

import pytest

from tracers.importhook._transform import rewrite


def _is_probe_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and "probe" in ast.unparse(node.value.func)


def _guards(source: str) -> list:
    """For each probe site, in line order, what it becomes with tracing on:

    "global" (a module gate), "local" (the event held in a hidden local),
    "class" (a class body's ``chain.gate``), or "undefined" (a site whose
    provider is never bound: kept as written when on, deleted when off).
    """
    tree = ast.parse(dedent(source))
    on, off = rewrite(tree, enabled=True).tree, rewrite(tree, enabled=False).tree
    guards, guarded = [], set()
    for node in ast.walk(on):
        if not isinstance(node, ast.If):
            continue
        if isinstance(node.test, ast.Name) and node.test.id.startswith("_tracers_gate_"):
            guards.append((node.lineno, "global"))
        elif isinstance(node.test, ast.Attribute) and node.test.attr == "gate":
            guards.append((node.lineno, "local" if isinstance(node.test.value, ast.NamedExpr) else "class"))
        else:
            continue
        guarded.add(node.body[0])
    kept_off = {node.lineno for node in ast.walk(off) if _is_probe_call(node)}
    guards += [(node.lineno, "undefined") for node in ast.walk(on)
               if _is_probe_call(node) and node not in guarded and node.lineno not in kept_off]
    return [kind for _, kind in sorted(guards)]


def _gate_chains(source: str) -> list:
    """The provider chains the module gates look up."""
    tree = rewrite(ast.parse(dedent(source)), enabled=True).tree
    return [ast.literal_eval(node.value.args[2]) for node in tree.body
            if isinstance(node, ast.Assign) and node.targets[0].id.startswith("_tracers_gate_")]


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
    "star import after the import may rebind it": (
        """
        from tracers import probe
        from other import *
        probe(P.e())
        """,
        [],
    ),
    "star import before the import": (
        """
        from other import *
        from tracers import probe
        probe(P.e())
        """,
        ["global"],
    ),
    "star import after the module import may rebind it": (
        """
        import tracers
        from other import *
        tracers.probe(P.e())
        """,
        [],
    ),
    "star import after a function binds it globally": (
        """
        from other import *
        def setup():
            global probe
            from tracers import probe
        def f():
            probe(P.e())
        """,
        [],
    ),
    "imported only for type checkers": (
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from tracers import probe
        probe(P.e())
        """,
        [],
    ),
    "module imported only for type checkers": (
        """
        import typing
        if typing.TYPE_CHECKING:
            import tracers
        def f():
            tracers.probe(P.e())
        """,
        [],
    ),
    "imported in the else branch of a type-checking test": (
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            pass
        else:
            from tracers import probe
        probe(P.e())
        """,
        ["global"],
    ),
    "class body binds it after using it": (
        """
        from tracers import probe
        class C:
            probe(P.e())
            probe = staticmethod(print)
        """,
        [],
    ),
    "class body imports it after a use that sees another global": (
        """
        probe = print
        class C:
            probe(P.e())
            from tracers import probe
        """,
        [],
    ),
    "class body imports it while the module does too": (
        """
        from tracers import probe
        class C:
            from tracers import probe
            probe(P.e())
        """,
        ["global"],
    ),
    "class body imports it and the module does not": (
        """
        class C:
            from tracers import probe
            probe(P.e())
        """,
        [],
    ),
    "private alias in a method is mangled consistently": (
        """
        class C:
            def m(self):
                from tracers import probe as __probe
                __probe(P.e())
        """,
        ["global"],
    ),
    "private alias at module level is another name in a class": (
        """
        from tracers import probe as __probe
        class C:
            def m(self):
                __probe(P.e())
        """,
        [],
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
    assert _guards("from app import P\n" + dedent(source)) == expected


HEADS = {
    "unbound name": ("probe(Missing.e())", ["undefined"]),
    "unbound name in a function": ("def f():\n    probe(Missing.e())", ["undefined"]),
    "bound only for type checkers": ("if TYPE_CHECKING:\n    from app import Missing\nprobe(Missing.e())",
                                     ["undefined"]),
    "bound only by a function's global declaration": (
        "def setup():\n    global Late\n    Late = 1\nprobe(Late.e())", ["global"]),
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
    "class body binds it": ("class C:\n    P = 1\n    probe(P.e())", ["class"]),
    "class body binds it after the site": ("class C:\n    probe(P.e())\n    P = 1", ["class"]),
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
    assert _guards("from tracers import probe\nfrom app import P\n" + body) == expected


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


def test_a_star_import_may_bind_the_provider() -> None:
    source = """
        from app.probes import *
        from tracers import probe
        probe(FromStar.e())
    """
    assert _guards(source) == ["global"]
    assert _gate_chains(source) == [("FromStar", "e")]


MANGLED = """
    from tracers import probe
    from app import P as _Service__P, P as __P

    class Service:
        def method(self):
            probe(__P.e())
            probe(self.__probes.e())

        probe(__P.defined())

        class _Inner:
            def method(self):
                probe(__P.inner())

    def outside():
        probe(__P.outside())
"""


def test_private_provider_names_are_mangled_as_the_compiler_does() -> None:
    assert _guards(MANGLED) == ["global", "local", "global", "undefined", "global"]
    assert _gate_chains(MANGLED) == [("_Service__P", "e"), ("_Service__P", "defined"), ("__P", "outside")]


def test_mangled_gate_looks_up_what_the_compiler_loads() -> None:
    """The gate's chain is the name the unrewritten code would load."""
    tree = ast.parse(dedent(MANGLED))
    code = compile(tree, "mangled.py", "exec")
    service = next(c for c in code.co_consts if getattr(c, "co_name", "") == "Service")
    method = next(c for c in service.co_consts if getattr(c, "co_name", "") == "method")
    assert "_Service__P" in method.co_names and "__P" not in method.co_names
    assert "_Service__probes" in method.co_names
