"""Where name resolution makes a statement only look like a probe, the hook
keeps plain Python's meaning: each scenario runs with and without the hook,
in the same tracing mode, and must give the same result and the same events."""
from __future__ import annotations

import textwrap

import pytest

from hook_support import HOOK

# The probe-like functions of the scenarios record what they get: a call object, or None when tracing is off.
PROVIDER = "from tracers import tracer\n\n@tracer\nclass P:\n    def e(a: int): ...\n\n"

SCENARIOS = {
    # A class body looks names up as it runs: before its own binding, the module's.
    "class_body_binds_probe_after_use": """
        from tracers import probe
        calls = []

        class C:
            probe(P.e(1))
            probe = lambda call: calls.append(getattr(call, "args", None))
            probe(P.e(2))

        RESULT = calls
    """,
    "class_body_imports_probe_after_a_use_of_another": """
        calls = []
        probe = lambda call: calls.append(getattr(call, "args", None))

        class C:
            probe(P.e(1))
            from tracers import probe

        RESULT = calls
    """,
    # The star import may rebind probe (or tracers): here mytools exports its own.
    "star_import_after_the_tracers_import": """
        from tracers import probe
        from mytools import *
        import mytools

        probe(P.e(3))
        RESULT = mytools.calls
    """,
    "star_import_after_import_tracers": """
        import tracers
        from mytools import *
        import mytools

        def f():
            tracers.probe(P.e(3))

        f()
        RESULT = mytools.calls
    """,
    # Inside class Service, __P is _Service__P.
    "mangled_provider": """
        from tracers import probe
        _Service__P = P
        __P = None

        class Service:
            probe(__P.e(4))

            def run(self):
                probe(__P.e(5))

        Service().run()
        RESULT = None
    """,
    "probe_imported_for_type_checkers_only": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from tracers import probe

        try:
            probe(P.e(7))
            RESULT = "no error"
        except NameError as error:
            RESULT = str(error)
    """,
}

# Tracing off deletes a probe statement: these differ from plain Python then, by design.
OFF_BY_DESIGN = {
    # The provider chain is evaluated once per call when on; not at all when off.
    "chain_evaluated_once": ("""
        from tracers import probe

        class Registry:
            lookups = 0

            @property
            def provider(self):
                Registry.lookups += 1
                return P

        def f(registry):
            probe(registry.provider.e(9))

        f(Registry())
        f(Registry())
        RESULT = Registry.lookups
    """, 0),
    # An undefined provider raises NameError as in plain Python when on.
    "undefined_provider": ("""
        from tracers import probe

        def f():
            probe(Missing.e(10))

        try:
            f()
            RESULT = "no error"
        except NameError as error:
            RESULT = str(error)
    """, "no error"),
    "provider_imported_for_type_checkers_only": ("""
        import typing
        from tracers import probe
        if typing.TYPE_CHECKING:
            from elsewhere import Typed

        def f():
            probe(Typed.e(8))

        try:
            f()
            RESULT = "no error"
        except NameError as error:
            RESULT = str(error)
    """, "no error"),
}

# A module whose star import rebinds both ``probe`` and ``tracers``.
MYTOOLS = """
calls = []

def probe(call):
    calls.append(getattr(call, "args", None))

class tracers:
    probe = staticmethod(probe)

__all__ = ["probe", "tracers"]
"""

REPORT = """
    import json, sys
    {hook}
    from scenario import RESULT
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [list(event.args) for event in record.events()]
    print(json.dumps({{"result": RESULT, "events": events}}))
"""


def _run(py, source, mode, hook):
    py.write({"scenario.py": PROVIDER + textwrap.dedent(source), "mytools.py": MYTOOLS})
    return py.result(REPORT.format(hook=HOOK if hook else ""), tracers=mode)


@pytest.mark.parametrize("mode", [None, "noop", "record"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_as_plain_python(py, name, mode):
    plain = _run(py, SCENARIOS[name], mode, hook=False)
    assert _run(py, SCENARIOS[name], mode, hook=True) == plain


@pytest.mark.parametrize("mode", ["noop", "record"])
@pytest.mark.parametrize("name", sorted(OFF_BY_DESIGN))
def test_same_as_plain_python_when_on(py, name, mode):
    source, _ = OFF_BY_DESIGN[name]
    plain = _run(py, source, mode, hook=False)
    assert _run(py, source, mode, hook=True) == plain


@pytest.mark.parametrize("name", sorted(OFF_BY_DESIGN))
def test_deleted_when_off(py, name):
    source, deleted = OFF_BY_DESIGN[name]
    assert _run(py, source, None, hook=True) == {"result": deleted, "events": []}


def test_the_scenarios_tell_the_cases_apart(py):
    """Plain Python's results are the ones the scenarios are about."""
    expected = {
        "class_body_binds_probe_after_use": ([[2]], [[1]]),
        "class_body_imports_probe_after_a_use_of_another": ([[1]], []),
        "star_import_after_the_tracers_import": ([[3]], []),
        "star_import_after_import_tracers": ([[3]], []),
        "mangled_provider": (None, [[4], [5]]),
        "probe_imported_for_type_checkers_only": ("name 'probe' is not defined", []),
    }
    for name, (result, events) in expected.items():
        assert _run(py, SCENARIOS[name], "record", hook=False) == {"result": result, "events": events}, name
    assert _run(py, OFF_BY_DESIGN["chain_evaluated_once"][0], "record", hook=False)["result"] == 2
    assert "Missing" in _run(py, OFF_BY_DESIGN["undefined_provider"][0], "record", hook=False)["result"]
