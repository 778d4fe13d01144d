"""Tracing on: rewritten probe sites fire with exactly their arguments.

With ``record`` every probe listens, so each site evaluates its arguments once,
left to right, and records one event; with ``noop`` nothing listens and the
arguments are never evaluated. Code imported without the hook still fires
through the runtime fallback.
"""
from __future__ import annotations

import shutil

import pytest

from hook_support import EXAMPLES, HOOK, LOG_MODULE

MODULES = {
    "log.py": LOG_MODULE,
    "sites.py": """
        '''Probe sites in every kind of place.'''
        from typing import Optional

        import tracers as t
        from tracers import probe, tracer
        from log import arg

        @tracer
        class P:
            def one(a: int): ...
            def two(a: str, b: int): ...
            def opt(a: Optional[str]): ...

        probe(P.one(arg(1)))

        def f(n):
            probe(P.two(arg("f"), arg(n)))
            t.probe(P.one(arg(n + 1)))
            for i in range(2):
                probe(P.one(arg(10 + i)))
            probe(P.opt(arg(None)))
            return n

        class C:
            probe(P.one(arg(99)))

            def m(self):
                probe(P.two(b=arg(7), a=arg("kw")))
                return "m"

        def nested():
            def inner():
                probe(P.one(arg(5)))
            inner()
            return [probe(P.one(arg(6))) for _ in range(1)] and "nested"
        """,
}

REPORT = """
    import json, sys
    {hook}
    import sites, log
    results = [sites.f(3), sites.C().m(), sites.nested()]
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [[e.provider, e.probe, list(e.args)] for e in record.events()]
    print(json.dumps({{
        "calls": log.calls, "events": events, "results": results,
        "loader": type(sites.__loader__).__name__,
        "gates": sorted(n for n in vars(sites) if n.startswith("_tracers_gate_")),
        "runtime": "tracers.runtime" in sys.modules,
    }}))
"""

# The comprehension's probe() is an expression, not a statement: never rewritten,
# it always runs through the fallback.
FIRED = [
    ["p", "one", [1]],
    ["p", "one", [99]],
    ["p", "two", ["f", 3]],
    ["p", "one", [4]],
    ["p", "one", [10]],
    ["p", "one", [11]],
    ["p", "opt", [None]],
    ["p", "two", ["kw", 7]],
    ["p", "one", [5]],
    ["p", "one", [6]],
]
ARGUMENTS = [1, 99, "f", 3, 4, 10, 11, None, 7, "kw", 5, 6]
RESULTS = [3, "m", "nested"]


def test_record_fires_each_probe_once_with_its_arguments_in_order(py):
    py.write(MODULES)
    got = py.result(REPORT.format(hook=HOOK), tracers="record")
    assert got["loader"] == "TracersLoader"
    assert got["gates"], "the module was not rewritten"
    assert got["events"] == FIRED
    assert got["calls"] == ARGUMENTS  # each argument evaluated once, left to right
    assert got["results"] == RESULTS


@pytest.mark.parametrize("value", ["1", "on", "record", "RECORD"])
def test_enabled_words_give_the_rewritten_module(py, value):
    py.write(MODULES)
    got = py.result(
        f"""
        import json
        {HOOK}
        import sites
        print(json.dumps(sorted(n for n in vars(sites) if n.startswith("_tracers"))))
        """,
        tracers=value,
    )
    assert "_tracers_LazyGate" in got
    assert "_tracers_gate_0_P_one" in got


def test_noop_never_evaluates_the_arguments(py):
    py.write(MODULES)
    got = py.result(REPORT.format(hook=HOOK), tracers="noop")
    assert got["loader"] == "TracersLoader"
    assert got["gates"]
    assert got["calls"] == [6]  # only the expression in the comprehension, which is no probe site
    assert got["events"] == []
    assert got["results"] == RESULTS


def test_fallback_without_the_hook_fires_when_on(py):
    py.write(MODULES)
    got = py.result(REPORT.format(hook=""), tracers="record")
    assert got["loader"] == "SourceFileLoader"
    assert got["gates"] == []
    assert got["events"] == FIRED
    assert got["calls"] == ARGUMENTS


def test_fallback_without_the_hook_does_nothing_when_off(py):
    py.write(MODULES)
    got = py.result(REPORT.format(hook=""))
    assert got["loader"] == "SourceFileLoader"
    assert got["events"] == []
    assert got["runtime"] is False  # no backend was even loaded
    assert got["results"] == RESULTS


def test_record_events_from_a_function_called_many_times(py):
    py.write({
        "loop.py": """
            from tracers import probe, tracer

            @tracer(provider="loop")
            class L:
                def tick(i: int, label: str): ...

            def run(n):
                for i in range(n):
                    probe(L.tick(i, f"#{i}"))
            """,
    })
    got = py.result(
        f"""
        import json
        {HOOK}
        import loop
        from tracers.runtime import record
        loop.run(50)
        print(json.dumps([list(e.args) for e in record.events()]))
        """,
        tracers="record",
    )
    assert got == [[i, f"#{i}"] for i in range(50)]


def test_examples_fire_through_the_hook(py):
    """The shop example: probes in a package, through an alias and a shared provider module."""
    shutil.copytree(EXAMPLES, py.root / "ex", ignore=shutil.ignore_patterns("__pycache__"))
    got = py.result(
        f"""
        import json
        {HOOK}
        import shop.orders, shop.stock
        from tracers.runtime import record
        order = shop.orders.Order(7, "pear", 2)
        order.ship(None)
        stock = shop.stock.Stock({{"pear": 3}})
        stock.take("pear", 1)
        print(json.dumps([type(shop.orders.__loader__).__name__, type(shop.probes.__loader__).__name__,
                          [[e.provider, e.probe, list(e.args)] for e in record.events()]]))
        """,
        tracers="record",
        path=[py.root / "ex"],
    )
    assert got == [
        "TracersLoader", "TracersLoader",
        [["shop", "order_placed", [7, "pear", 2]], ["shop", "order_shipped", [7, None]],
         ["shop", "stock_low", ["pear", 2]]],
    ]
