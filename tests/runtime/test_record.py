"""The record backend and the runtime fallback (code imported without the hook)."""
import textwrap

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
        print(record.events(), bool(P.e), P.e.gate)
    """)
    result = python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] False False"


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
    code = PROVIDER + "probe(P.e(1, 's', None, True))\nprint(bool(P.e), record.events())\n"
    result = python(code, env={"TRACERS": "noop"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False []"
