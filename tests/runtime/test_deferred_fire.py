"""A deferred binding's fire function (see ``ProbeBinding.deferred``) is made at the probe's
first event; a failure to make it is reported as a failed event is (a warning once, an error
in strict mode), and the next event tries again."""
import json
import textwrap

import pytest

PROGRAM = textwrap.dedent("""\
    import json, warnings
    from tracers import ProbeArgumentError, ProbeCall, tracer
    from tracers._provider import _made_at_first_event

    warnings.simplefilter("always")

    @tracer
    class P:
        @staticmethod
        def e(n: int) -> ProbeCall: ...

    attempts, events = [], []

    def make():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("no stub here")
        return events.append

    probe = P.e
    first = probe.fire = _made_at_first_event(probe, "p:e", make, True)
    outcomes = []
    for n in (1, 2, 3):
        try:
            first(n)
            outcomes.append("returned")
        except ProbeArgumentError as error:
            outcomes.append(str(error))
    probe.fire(4)
    print(json.dumps({"outcomes": outcomes, "attempts": len(attempts), "events": events,
                      "replaced": probe.fire is not first}))
""")


@pytest.mark.parametrize("strict", ["0", "1"])
def test_the_first_event_makes_the_fire_function_and_a_failure_is_reported(python, strict):
    result = python(PROGRAM, env={"TRACERS": "record", "TRACERS_STRICT": strict})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["attempts"] == 2  # made once it could be, then kept
    assert found["events"] == [2, 3, 4]  # the failed event is dropped; a kept reference fires through
    assert found["replaced"] is True
    if strict == "1":
        assert found["outcomes"] == ["tracers: probe p:e not fired: no stub here", "returned", "returned"]
    else:
        assert found["outcomes"] == ["returned"] * 3
        assert result.stderr.count("tracers: probe p:e not fired: no stub here") == 1, result.stderr
