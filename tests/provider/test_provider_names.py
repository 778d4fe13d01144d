"""One provider name, one live class per process: a second one is refused, naming both places.

The same declaration run again (a module reloaded, a function declaring its
class twice) takes the name over, and so does any class once the earlier one
is gone (throwaway providers in tests). Each case runs in a fresh interpreter.
"""
import re
import textwrap

import pytest

FIRST = """\
from tracers import ProbeCall, tracer

@tracer(provider="shop")
class Orders:
    @staticmethod
    def placed(order_id: int) -> ProbeCall: ...
"""

SECOND = """\
from tracers import ProbeCall, tracer

# another module

@tracer(provider="shop")
class Stock:
    @staticmethod
    def low(item: str) -> ProbeCall: ...
"""


@pytest.fixture
def modules(tmp_path):
    (tmp_path / "orders_probes.py").write_text(FIRST)
    (tmp_path / "stock_probes.py").write_text(SECOND)
    return tmp_path


@pytest.mark.parametrize("mode", ["0", "record"])
def test_two_live_classes_with_one_name_are_refused_naming_both(python, modules, mode):
    result = python("import orders_probes\nimport stock_probes\n",
                    env={"PYTHONPATH": str(modules), "TRACERS": mode})
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error == (
        f"tracers._errors.ProbeDefinitionError: {modules / 'stock_probes.py'}:5: provider Stock: "
        f"provider name 'shop' is already declared by orders_probes.Orders at {modules / 'orders_probes.py'}:3; "
        f"give one of them another name with @tracer(provider=\"...\")")


def test_a_reloaded_module_takes_its_name_over(python, modules):
    code = textwrap.dedent("""\
        import importlib
        from tracers.runtime import record
        import orders_probes
        first = orders_probes.Orders
        importlib.reload(orders_probes)
        assert orders_probes.Orders is not first
        orders_probes.Orders.placed.fire(1)
        print(record.events())
    """)
    result = python(code, env={"PYTHONPATH": str(modules), "TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[Event(provider='shop', probe='placed', args=(1,))]"


def test_the_same_declaration_run_twice_and_throwaway_providers(python):
    code = textwrap.dedent("""\
        from tracers import ProbeCall, ProbeDefinitionError, tracer

        def declare():
            @tracer(provider="temp")
            class Temp:
                @staticmethod
                def e(a: int) -> ProbeCall: ...
            return Temp

        def test_one():
            @tracer(provider="temp")
            class One:
                @staticmethod
                def e(a: int) -> ProbeCall: ...
            return One.e.provider

        def test_two():
            @tracer(provider="temp")
            class Two:
                @staticmethod
                def e(a: int) -> ProbeCall: ...
            return Two.e.provider

        kept = declare()
        again = declare()  # the same class statement: takes the name over
        print(kept is not again)
        del kept, again
        print(test_one(), test_two())  # each class is garbage once its function returns

        held = declare()
        try:
            test_one()
        except ProbeDefinitionError as error:
            print("refused:", "already declared by __main__.declare.<locals>.Temp at <string>:" in str(error))
    """)
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True", "temp temp", "refused: True"]


def test_distinct_names_in_one_process(python, modules):
    (modules / "stock_probes.py").write_text(SECOND.replace('provider="shop"', 'provider="stock"'))
    result = python("import orders_probes, stock_probes\nprint(orders_probes.Orders.placed, stock_probes.Stock.low)\n",
                    env={"PYTHONPATH": str(modules)})
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"<probe shop:placed\(order_id: int\)> <probe stock:low\(item: str\)>\n", result.stdout)
