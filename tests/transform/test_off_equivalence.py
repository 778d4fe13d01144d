"""Disabled probes must compile to exactly what the program would be without
them: the same bytecode as the source with every probe line blanked out.

Lines marked ``# site`` are blanked; no site here is alone in its block,
because blanking that would not be valid Python.
"""
import ast
import dis
import types
from textwrap import dedent

import pytest

from tracers.importhook._transform import rewrite

SOURCES = {
    "sites that end their blocks": (
        """
        from tracers import probe

        class Store:
            def put(self, key, value):
                self.data[key] = value
                probe(P.put(key))  # site

            def get(self, key):
                try:
                    value = self.data[key]
                    probe(P.hit(key))  # site
                except KeyError:
                    value = None
                    probe(P.miss(key))  # site
                if value is None:
                    value = 0
                    probe(P.default(key))  # site
                return value
        """,
        4,
    ),
    "module and functions": (
        '''
        """Module."""
        from tracers import probe
        from app.probes import P

        probe(P.loaded())  # site
        ready = True

        def handle(request, Local):
            probe(P.request(request.path, len(request.body)))  # site
            result = request.run()
            probe(Local.done(result))  # site
            return result

        class Handler:
            probe(P.defined())  # site
            name = "handler"

            def method(self, *args, **kwargs):
                probe(P.method(*args, **kwargs))  # site
                return args
        ''',
        5,
    ),
    "module import and blocks": (
        """
        import tracers as t
        from app import probes

        async def run(jobs):
            for job in jobs:
                t.probe(probes.Job.start(job))  # site
                await job
            try:
                jobs.close()
                t.probe(probes.Job.closed())  # site
            except OSError as error:
                t.probe(probes.Job.failed(str(error)))  # site
                raise
            while jobs:
                jobs.pop()
                t.probe(probes.Job.popped(  # site
                    len(jobs),  # site
                ))  # site
        """,
        4,
    ),
    "mangled, local, undefined and class-body providers": (
        """
        from tracers import probe
        from app import Audit as _Service__Audit

        class Service:
            Local = _Service__Audit
            probe(__Audit.defined())  # site
            probe(Local.defined())  # site
            name = "service"

            def run(self, P):
                probe(P.local(self.__name))  # site
                probe(Missing.event())  # site
                probe(__Audit.run(  # site
                    1,  # site
                ))  # site
                return P
        """,
        5,
    ),
    "closure used only by the probe": (
        """
        from tracers import probe

        def outer(P):
            secret = object()

            def inner():
                probe(P.inner(secret))  # site
                return 1

            return inner
        """,
        1,
    ),
    "string after a probe becomes the docstring": (
        """
        from tracers import probe

        def f():
            probe(P.first())  # site
            "Documentation once the probe is gone."
            return 1
        """,
        1,
    ),
}


def _blanked(source: str) -> str:
    return "".join(
        " " * len(line.rstrip("\n")) + "\n" if line.rstrip().endswith("# site") else line
        for line in source.splitlines(keepends=True)
    )


def _assert_same_code(actual: types.CodeType, expected: types.CodeType) -> None:
    assert actual.co_name == expected.co_name
    for attribute in ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars"):
        assert getattr(actual, attribute) == getattr(expected, attribute), (actual.co_name, attribute)
    assert list(dis.findlinestarts(actual)) == list(dis.findlinestarts(expected))
    if hasattr(actual, "co_positions"):  # 3.11+: column ranges too, e.g. where a def ends
        assert list(actual.co_positions()) == list(expected.co_positions()), (actual.co_name, "positions")
    assert len(actual.co_consts) == len(expected.co_consts)
    for mine, theirs in zip(actual.co_consts, expected.co_consts):
        if isinstance(theirs, types.CodeType):
            _assert_same_code(mine, theirs)
        else:
            assert type(mine) is type(theirs) and mine == theirs


@pytest.mark.parametrize("source, sites", SOURCES.values(), ids=list(SOURCES))
def test_disabled_equals_blanked(source: str, sites: int) -> None:
    source = dedent(source)
    result = rewrite(ast.parse(source), enabled=False)
    assert result.sites == sites
    actual = compile(result.tree, "module.py", "exec")
    expected = compile(_blanked(source), "module.py", "exec")
    _assert_same_code(actual, expected)
