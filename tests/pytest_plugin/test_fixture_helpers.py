"""The ``tracers_events`` helpers: selection by probe or provider, and their failure messages."""
from __future__ import annotations

import json
import re

TESTS = """
    import json

    import pytest
    from tracers import probe, tracer
    from tracers.runtime.record import Event

    @tracer
    class Net:
        def request(method: str, status: int): ...

    @tracer
    class Db:
        def query(sql: str): ...

    def fire_some():
        probe(Net.request("GET", 200))
        probe(Net.request("GET", 404))
        probe(Db.query("select"))

    def test_selection(tracers_events):
        fire_some()
        assert [e.probe for e in tracers_events.of(Net)] == ["request", "request"]
        assert tracers_events.of(Db.query) == [Event("db", "query", ("select",))]
        assert tracers_events.args(Net.request) == [("GET", 200), ("GET", 404)]
        assert tracers_events.assert_fired(Net.request, status=404) == [Event("net", "request", ("GET", 404))]
        assert len(tracers_events.assert_fired(Net.request, "GET", times=2)) == 2
        tracers_events.assert_fired(Net)
        tracers_events.assert_not_fired(Net.request, status=500)
        assert tracers_events[-1] == Event("db", "query", ("select",)) and len(tracers_events) == 3
        tracers_events.clear()
        assert list(tracers_events) == [] and tracers_events == []

    def test_times(tracers_events):
        fire_some()
        tracers_events.assert_fired(Net.request, "GET", times=3)

    def test_not_fired(tracers_events):
        fire_some()
        tracers_events.assert_not_fired(Net.request, status=404)

    def test_nothing_fired(tracers_events):
        tracers_events.assert_fired(Db.query, "select")

    def test_long_lists_show_both_ends(tracers_events):
        for n in range(100):
            probe(Net.request("GET", n))
        tracers_events.assert_not_fired(Net)

    def test_mistakes_are_type_errors():
        from tracers.pytest_plugin import FiredEvents
        events = FiredEvents()
        errors = []
        for call in (lambda: events.assert_fired(Net.request, code=1),
                     lambda: events.assert_fired(Net.request, "GET", 200, 3),
                     lambda: events.assert_fired(Net.request, "GET", method="POST"),
                     lambda: events.assert_fired(Net, "GET"),
                     lambda: events.of(42),
                     lambda: events.args(Net)):
            with pytest.raises(TypeError) as info:
                call()
            errors.append(str(info.value))
        print("ERRORS " + json.dumps(errors))
    """


def test_failure_messages_show_what_was_expected_and_what_fired(project):
    project.write({"pytest.ini": "[pytest]\ntracers = record\n", "test_helpers.py": TESTS})
    done = project.pytest("-s", "-rf")
    out = done.stdout
    assert re.search(r"\b4 failed, 2 passed\b", out.splitlines()[-1]), out
    fired = ("E       Fired during this test (3 events):\n"
             "E         net:request(method='GET', status=200)\n"
             "E         net:request(method='GET', status=404)\n"
             "E         db:query(sql='select')\n")
    assert ("E       AssertionError: net:request(method='GET', ...) was expected to fire 3 times and fired 2 times.\n"
            + fired) in out, out
    assert "E       AssertionError: net:request(status=404, ...) was expected not to fire, and fired once.\n" + fired in out
    assert ("E       AssertionError: db:query(sql='select') did not fire during this test.\n"
            "E       Nothing fired during this test.\n") in out
    long_list = ["E       AssertionError: provider net was expected not to fire, and fired 100 times.",
                 "E       Fired during this test (100 events):",
                 *[f"E         net:request(method='GET', status={n})" for n in range(20)],
                 "E         ... 60 more ...",
                 *[f"E         net:request(method='GET', status={n})" for n in range(80, 100)]]
    assert "\n".join(long_list) + "\n" in out, out
    # The traceback points at the test's line, not into the helper.
    assert "test_helpers.py:39: AssertionError" in out and "_events.py" not in out

    errors = json.loads(re.search(r"ERRORS (\[.*\])$", out, re.MULTILINE).group(1))
    assert errors == [
        "net:request has no argument 'code'; its arguments: method, status",
        "net:request takes 2 arguments, 3 given",
        "argument 'method' of net:request given twice",
        "arguments can be matched only for one probe, e.g. Net.<probe>",
        "expected a probe such as MyProvider.event or a @tracer class, not int",
        "args() takes a probe such as MyProvider.event, not class Net",
    ]
