"""A user's project tested with the plugin: record mode without TRACERS, per-test events,
readable failures, and probes in test modules rewritten together with pytest's asserts."""
from __future__ import annotations

import json
import re
import sys

import pytest

SHOP = """
    from tracers import probe, tracer

    @tracer
    class Shop:
        def order_placed(order_id: int, item: str, count: int): ...

    def place_order(order_id, item):
        probe(Shop.order_placed(order_id, item, 1))
        return order_id
    """

# conftest.py is owned by pytest's assertion rewriting, as test modules are.
CONFTEST = """
    import pytest
    from tracers import probe, tracer

    import shop  # imported while conftest files load: the hook must already be there

    @tracer
    class Setup:
        def prepared(what: str): ...

    def prepare(what):
        probe(Setup.prepared(what))
        return what

    @pytest.fixture
    def prepared():
        return prepare("basket")
    """

TESTS = """
    import json
    import sys

    from tracers import probe, tracer
    from tracers.runtime import record
    from tracers.runtime.record import Event

    import conftest
    import shop

    @tracer
    class Steps:
        def step(name: str): ...

    def with_probe(name):
        probe(Steps.step(name))
        return name

    def without_probe(name):
        return name

    def test_plugin_comes_from_the_entry_point(request):
        assert request.config.pluginmanager.get_plugin("tracers").__name__ == "_tracers_pytestplugin"

    def test_first_fires(tracers_events, prepared):
        shop.place_order(7, "apple")
        with_probe("checkout")
        tracers_events.assert_fired(shop.Shop.order_placed, 7, "apple", 1)
        tracers_events.assert_fired(Steps.step, name="checkout", times=1)
        assert tracers_events.events == [Event("setup", "prepared", ("basket",)),
                                          Event("shop", "order_placed", (7, "apple", 1)),
                                          Event("steps", "step", ("checkout",))]

    def test_second_sees_only_its_own_events(tracers_events):
        assert len(tracers_events) == 0 and record.events() == []
        shop.place_order(8, "pear")
        assert tracers_events.args(shop.Shop.order_placed) == [(8, "pear", 1)]
        tracers_events.assert_not_fired(Steps.step)

    def test_report_code():
        gates = lambda module: sorted(n for n in vars(module) if n.startswith("_tracers_gate_"))
        print("CODE " + json.dumps({
            "test_names": list(with_probe.__code__.co_names),
            "test_same_bytecode_as_without": with_probe.__code__.co_code == without_probe.__code__.co_code,
            "test_gates": gates(sys.modules[__name__]),
            "test_loader": type(__loader__).__name__,
            "pytest_rewrote_asserts": "@py_builtins" in globals(),
            "conftest_names": list(conftest.prepare.__code__.co_names),
            "app_loader": type(shop.__loader__).__name__,
            "app_gates": gates(shop),
            "app_names": list(shop.place_order.__code__.co_names),
        }))

    def test_deliberately_failing_assert_fired(tracers_events):
        shop.place_order(9, "fig")
        tracers_events.assert_fired(shop.Shop.order_placed, 7, item="apple")

    def test_deliberately_failing_plain_assert():
        assert shop.place_order(1, "kiwi") == 2
    """

PROJECT = {"pytest.ini": "[pytest]\ntracers = record\n", "shop.py": SHOP, "conftest.py": CONFTEST,
           "test_shop.py": TESTS}


def _code_facts(out: str) -> dict:
    found = re.search(r"CODE (\{.*\})$", out, re.MULTILINE)  # printed after pytest's progress dots
    assert found, out
    return json.loads(found.group(1))


def _pycs(project) -> set[str]:
    return {p.name for p in (project.root / "__pycache__").iterdir() if p.name.startswith("test_shop.")}


def _outcome(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_record_mode_from_the_ini_option_without_TRACERS(project):
    project.write(PROJECT)
    done = project.pytest("-rfs", "-s")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert re.search(r"\b2 failed, 4 passed\b", _outcome(out)), out
    assert "tracers: on, backend record (from the 'tracers' ini option), import hook installed" in out
    failed = {line.split("::")[1].split()[0] for line in out.splitlines() if line.startswith("FAILED")}
    assert failed == {"test_deliberately_failing_assert_fired", "test_deliberately_failing_plain_assert"}
    # The readable message: what was expected, then what fired.
    assert ("E       AssertionError: shop:order_placed(order_id=7, item='apple', ...) did not fire during this test.\n"
            "E       Fired during this test (1 event):\n"
            "E         shop:order_placed(order_id=9, item='fig', count=1)\n") in out, out
    # pytest still rewrote that module's asserts: its introspection of the failing one.
    assert "where 1 = <function place_order at" in out, out

    facts = _code_facts(out)
    assert facts["test_loader"] == "AssertionRewritingHook" and facts["pytest_rewrote_asserts"]
    # The test module's own probe statement became a guard and a direct fire.
    assert facts["test_gates"] == ["_tracers_gate_0_Steps_step"]
    assert "probe" not in facts["test_names"] and "fire" in facts["test_names"]
    assert "_tracers_gate_0_Steps_step" in facts["test_names"]
    assert not facts["test_same_bytecode_as_without"]
    assert "probe" not in facts["conftest_names"] and "fire" in facts["conftest_names"]
    # The application module, imported by conftest.py, went through tracers' own hook.
    assert facts["app_loader"] == "TracersLoader" and facts["app_gates"] == ["_tracers_gate_0_Shop_order_placed"]
    assert "probe" not in facts["app_names"] and "fire" in facts["app_names"]

    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}-pytest-{pytest.__version__}"
    assert _pycs(project) == {f"test_shop.{tag}-tracers0x1x0on.pyc"}


def test_off_deletes_probes_and_the_pyc_is_keyed_by_mode(project):
    project.write(PROJECT)
    project.pytest()  # record first: caches the 'on' code
    done = project.pytest("--tracers=off", "-rs", "-s")
    out = done.stdout
    assert re.search(r"\b1 failed, 2 passed, 3 skipped\b", _outcome(out)), out
    assert "tracers: off (from --tracers), import hook installed" in out
    skipped = re.findall(r"SKIPPED \[(\d+)\] .*: tracers_events needs the record mode; this run traces with 'off' "
                         r"\(from --tracers\); run pytest with --tracers=record", out)
    assert sum(map(int, skipped)) == 3, out  # pytest 7 folds the three into one line

    facts = _code_facts(out)
    assert facts["test_names"] == [] and facts["test_same_bytecode_as_without"]
    assert facts["test_gates"] == [] and facts["pytest_rewrote_asserts"]
    assert "probe" not in facts["conftest_names"] and "fire" not in facts["conftest_names"]
    assert facts["app_loader"] == "TracersLoader" and facts["app_gates"] == []
    assert "probe" not in facts["app_names"] and "fire" not in facts["app_names"]
    assert "where 1 = <function place_order at" in out  # asserts still rewritten by pytest

    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}-pytest-{pytest.__version__}"
    assert _pycs(project) == {f"test_shop.{tag}-tracers0x1x0on.pyc", f"test_shop.{tag}-tracers0x1x0off.pyc"}
    again = project.pytest("-s")  # back to record, from the cached 'on' pyc
    assert re.search(r"\b2 failed, 4 passed\b", _outcome(again.stdout)), again.stdout
    assert _code_facts(again.stdout)["test_gates"] == ["_tracers_gate_0_Steps_step"]


def test_TRACERS_in_the_environment_also_starts_the_plugin(project):
    project.write({**PROJECT, "pytest.ini": "[pytest]\n"})
    done = project.pytest("-k", "first or second", env={"TRACERS": "record"})
    assert re.search(r"\b2 passed, 4 deselected\b", _outcome(done.stdout)), done.stdout
    assert "tracers: on, backend record (from TRACERS)" in done.stdout


def test_the_option_wins_over_the_environment_and_the_ini_file(project):
    project.write(PROJECT)
    done = project.pytest("--tracers=noop", "-k", "first", "-rs", env={"TRACERS": "off"})
    assert "tracers: on, backend noop (from --tracers)" in done.stdout, done.stdout
    assert "tracers_events needs the record mode; this run traces with 'noop'" in done.stdout


def test_without_assertion_rewriting_tracers_hook_rewrites_test_modules(project):
    project.write(PROJECT)
    done = project.pytest("--assert=plain", "-k", "report", "-s")
    assert re.search(r"\b1 passed, 5 deselected\b", _outcome(done.stdout)), done.stdout
    facts = _code_facts(done.stdout)
    assert facts["test_loader"] == "TracersLoader" and not facts["pytest_rewrote_asserts"]
    assert facts["test_gates"] == ["_tracers_gate_0_Steps_step"] and "probe" not in facts["test_names"]
