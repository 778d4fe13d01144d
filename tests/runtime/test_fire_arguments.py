"""``Provider.event.fire`` takes the probe's values by position, the same way on every
backend and in both modes: a keyword (a declared name, or a name of the function a
backend generated) is a ``TypeError`` at the call, as the mypy plugin reports it.
"""
import json
import textwrap

import pytest

PROGRAM = textwrap.dedent("""\
    import json
    import os
    from tracers import ProbeCall, tracer

    @tracer
    class P:
        @staticmethod
        def event(name: str, count: int) -> ProbeCall: ...
        @staticmethod
        def bare() -> ProbeCall: ...

    CALLS = {
        "declared names": lambda: P.event.fire(name="x", count=1),
        "one declared name": lambda: P.event.fire("x", count=1),
        "generated names": lambda: P.event.fire(a0="x", a1=1),
        "generated name of a probe without arguments": lambda: P.bare.fire(extra=1),
    }
    outcomes = {}
    for label, call in CALLS.items():
        try:
            call()
            outcomes[label] = "fired"
        except TypeError:
            outcomes[label] = "TypeError"
    P.event.fire("x", 1)
    P.bare.fire()
    events = None
    if os.environ["TRACERS"] == "record":
        from tracers.runtime import record
        events = [tuple(event) for event in record.events()]
    print(json.dumps({"outcomes": outcomes, "events": events}))
""")


@pytest.mark.parametrize("strict", ["0", "1"], ids=["lenient", "strict"])
@pytest.mark.parametrize("backend", ["noop", "record", "usdt"])
def test_keywords_are_refused_and_positions_fire(python, tmp_path, backend, strict):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = python(PROGRAM, env={"TRACERS": backend, "TRACERS_STRICT": strict, "TRACERS_RUNTIME_DIR": str(runtime)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # the positional fires neither warn nor fail
    found = json.loads(result.stdout)
    assert found["outcomes"] == {
        "declared names": "TypeError",
        "one declared name": "TypeError",
        "generated names": "TypeError",
        "generated name of a probe without arguments": "TypeError",
    }
    if backend == "record":
        assert found["events"] == [["p", "event", ["x", 1]], ["p", "bare", []]]
