"""The record backend and the runtime fallback (code imported without the hook)."""
import textwrap

import pytest

PROVIDER = textwrap.dedent("""\
    import threading
    from typing import Optional
    from tracers import tracer, probe, U8, I16
    from tracers.runtime import record

    @tracer
    class P:
        def e(a: int, b: str, c: Optional[bytes], d: bool): ...
        def small(x: U8, y: I16): ...
""")


def test_fallback_fires_with_record(python):
    code = PROVIDER + textwrap.dedent("""\
        probe(P.e(1, "two", None, True))
        probe(P.e(-5, "é", b"\\x00x", 0))
        probe(P.e(a=7, d=False, c=b"k", b="kw"))
        print(record.events())
    """)
    result = python(code, env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[Event(provider='p', probe='e', args=(1, 'two', None, True)), "
        "Event(provider='p', probe='e', args=(-5, 'é', b'\\x00x', False)), "
        "Event(provider='p', probe='e', args=(7, 'kw', b'k', False))]")


def test_fallback_does_nothing_when_off(python):
    code = PROVIDER + textwrap.dedent("""\
        probe(P.e(1, "two", None, True))
        print(bool(P.e), P.e.gate, record.dropped())
    """)
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False 0"


@pytest.mark.parametrize("mode, state", [(None, "tracing is off"), ("noop", "tracing is on with the 'noop' backend")])
@pytest.mark.parametrize("call", ["record.events()", "record.capture().__enter__()"])
def test_reading_events_outside_record_mode_says_how_to_enable_it(python, mode, state, call):
    result = python(PROVIDER + f"record.clear()\n{call}\n", env={"TRACERS": mode} if mode else None)
    assert result.returncode == 1
    name = call.split("(")[0] + "()"
    assert result.stderr.strip().splitlines()[-1] == (
        f"tracers._errors.ConfigError: tracers: {name} needs the record mode, but {state}: run pytest with "
        f"--tracers=record (or 'tracers = record' in pytest's ini options) and use the tracers_events fixture, "
        f"or set TRACERS=record in the environment before Python starts")


def test_out_of_range_integers_wrap_and_bad_values_warn_once(python):
    code = PROVIDER + textwrap.dedent("""\
        import warnings
        warnings.simplefilter("always")
        probe(P.small(256 + 7, 40000))
        probe(P.small(-1, -32769))
        probe(P.small("x", 1))
        probe(P.small("y", 1))
        probe(P.small(1))
        print(record.events())
    """)
    result = python(code, env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[Event(provider='p', probe='small', args=(7, -25536)), "
        "Event(provider='p', probe='small', args=(255, 32767))]")
    assert result.stderr.count("RuntimeWarning: tracers: probe p:small not fired: x: expected U8, got str") == 1
    assert "got str" in result.stderr and result.stderr.count("not fired") == 1


def test_strict_mode_raises(python):
    code = PROVIDER + textwrap.dedent("""\
        from tracers import ProbeArgumentError
        for call in (lambda: P.small(256, 0), lambda: P.small("x", 0), lambda: P.e(1, 2, None, True),
                     lambda: P.e(1, "s", None), lambda: P.e(None, "s", None, True)):
            try:
                probe(call())
            except ProbeArgumentError as error:
                print("raised:", error)
        print(len(record.events()))
    """)
    result = python(code, env={"TRACERS": "record", "TRACERS_STRICT": "1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "0"
    assert lines[:-1] == [
        "raised: tracers: probe p:small not fired: x: 256 out of range for U8 [0, 255]",
        "raised: tracers: probe p:small not fired: x: expected U8, got str",
        "raised: tracers: probe p:e not fired: b: expected str, got int",
        "raised: tracers: probe p:e not fired: e(a: int, b: str, c: Optional[bytes], d: bool) takes 4 arguments, got 3",
        "raised: tracers: probe p:e not fired: a: expected int, got None",
    ]


def test_probe_rejects_non_calls(python):
    result = python(PROVIDER + "probe(42)\n", env={"TRACERS": "record"})
    assert result.returncode == 1
    assert "TypeError: probe() takes a probe call such as probe(MyProvider.event(arg1, arg2)), not int" in result.stderr


def test_record_is_thread_safe_and_capture_collects(python):
    code = PROVIDER + textwrap.dedent("""\
        def worker(n):
            for i in range(2000):
                probe(P.small(n, i))
        with record.capture() as caught:
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
        probe(P.small(9, 9))
        per_thread = sorted({e.args[0]: [x.args[1] for x in caught if x.args[0] == e.args[0]] == list(range(2000))
                             for e in caught}.items())
        print(len(caught), len(record.events()), per_thread)
        record.clear()
        print(record.events())
    """)
    result = python(code, env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["8000 8001 [(0, True), (1, True), (2, True), (3, True)]", "[]"]


def test_noop_never_fires(python):
    code = PROVIDER + "probe(P.e(1, 's', None, True))\nprint(bool(P.e), P.e.gate)\n"
    result = python(code, env={"TRACERS": "noop"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_keeps_the_last_100000_events_by_default_and_counts_the_dropped(python):
    code = PROVIDER + textwrap.dedent("""\
        print(record.limit())
        for i in range(100_005):
            probe(P.small(1, i % 30000))
        kept = record.events()
        print(len(kept), record.dropped(), kept[0].args, kept[-1].args)
        record.clear()
        print(len(record.events()), record.dropped())
    """)
    result = python(code, env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["100000", "100000 5 (1, 5) (1, 10004)", "0 0"]


def test_the_limit_comes_from_the_environment_and_set_limit(python):
    code = PROVIDER + textwrap.dedent("""\
        for i in range(5):
            probe(P.small(i, 0))
        print(record.limit(), [e.args[0] for e in record.events()], record.dropped())
        record.set_limit(2)
        print(record.limit(), [e.args[0] for e in record.events()], record.dropped())
        with record.capture() as caught:
            for i in range(10, 17):
                probe(P.small(i, 0))
        print([e.args[0] for e in caught], caught.dropped, [e.args[0] for e in record.events()], record.dropped())
        for bad in (0, -1, 2.5, True):
            try:
                record.set_limit(bad)
            except ValueError as error:
                print(error)
    """)
    result = python(code, env={"TRACERS": "record", "TRACERS_RECORD_LIMIT": "3"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "3 [2, 3, 4] 2",
        "2 [3, 4] 3",
        "[15, 16] 5 [15, 16] 10",
        *[f"the record limit must be a whole number of events of at least 1, not {bad}"
          for bad in ("0", "-1", "2.5", "True")],
    ]


def test_a_bad_limit_in_the_environment_is_named(python):
    result = python(PROVIDER + "probe(P.small(1, 1))\n", env={"TRACERS": "record", "TRACERS_RECORD_LIMIT": "lots"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "tracers._errors.ConfigError: TRACERS_RECORD_LIMIT='lots' is not valid; "
        "use a whole number of events of at least 1 (default 100000)")


def test_a_long_capture_keeps_the_last_events_of_its_block(python):
    code = PROVIDER + textwrap.dedent("""\
        record.set_limit(1000)
        with record.capture() as caught:
            for i in range(5000):
                probe(P.small(1, i))
                assert len(caught) <= 1000 + 1000 // 8
        print(len(caught), caught.dropped, caught[0].args, caught[-1].args, caught == record.events())
    """)
    result = python(code, env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1000 4000 (1, 4000) (1, 4999) True"
