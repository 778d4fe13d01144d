"""Values at fire time: a value of the wrong kind is dropped (one warning per probe) or,
in strict mode, an error; both name the argument, its declared type and the value's type.
Integers of the right kind still wrap to their width outside strict mode.

Checked with the record backend, which keeps what it fires; the usdt fast path
is checked against bpftrace in tests/usdt/test_wrong_kinds.py.
"""
import os
import textwrap

import pytest

PROVIDER = textwrap.dedent("""\
    import warnings
    from typing import Optional
    from tracers import ProbeArgumentError, ProbeCall, U8, U32, probe, tracer
    from tracers.runtime import record

    @tracer
    class P:
        @staticmethod
        def size(size: U32) -> ProbeCall: ...
        @staticmethod
        def small(x: U8) -> ProbeCall: ...
        @staticmethod
        def text(name: str) -> ProbeCall: ...
        @staticmethod
        def maybe(name: Optional[str], n: Optional[int]) -> ProbeCall: ...
        @staticmethod
        def data(blob: bytes) -> ProbeCall: ...
        @staticmethod
        def flag(on: bool) -> ProbeCall: ...

    def attempt(call):
        try:
            probe(call)
        except ProbeArgumentError as error:
            print("raised:", error)

    warnings.simplefilter("always")
""")

# (call, message): every one of these is of the wrong kind in both modes.
WRONG = [
    ("P.size(2.5)", "size: expected U32, got float"),
    ("P.size(None)", "size: expected U32, got None"),
    ("P.size('7')", "size: expected U32, got str"),
    ("P.text(None)", "name: expected str, got None"),
    ("P.text(5)", "name: expected str, got int"),
    ("P.text(b'x')", "name: expected str, got bytes"),
    ("P.maybe(b'x', None)", "name: expected Optional[str], got bytes"),
    ("P.maybe(None, 1.0)", "n: expected Optional[int], got float"),
    ("P.data('s')", "blob: expected bytes, got str"),
    ("P.data(None)", "blob: expected bytes, got None"),
    ("P.flag('yes')", "on: expected bool, got str"),
    ("P.flag(0.0)", "on: expected bool, got float"),
    ("P.small(__import__('decimal').Decimal(3))", "x: expected U8, got decimal.Decimal"),
]

GOOD = [
    ("P.size(7)", "('p', 'size', (7,))"),
    ("P.size(True)", "('p', 'size', (1,))"),
    ("P.small(300)", "('p', 'small', (44,))"),  # wraps outside strict mode
    ("P.text('é')", "('p', 'text', ('é',))"),
    ("P.maybe(None, None)", "('p', 'maybe', (None, None))"),
    ("P.data(bytearray(b'ab'))", "('p', 'data', (b'ab',))"),
    ("P.flag(1)", "('p', 'flag', (True,))"),
]


def _program(calls):
    lines = [f"attempt({call})" for call in calls]
    lines.append("print([tuple(e) for e in record.events()])")
    return PROVIDER + "\n".join(lines) + "\n"


@pytest.mark.parametrize("call,message", WRONG, ids=[c for c, _ in WRONG])
def test_wrong_kind_is_dropped_with_one_warning(python, call, message):
    result = python(_program([call, call]), env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
    probe_name = call.split("(")[0].split(".")[1]
    warnings = [line for line in result.stderr.splitlines() if "RuntimeWarning" in line]
    line = PROVIDER.splitlines().index("        probe(call)") + 1  # the warning points at the probe statement
    assert warnings == [f"<string>:{line}: RuntimeWarning: "
                        f"tracers: probe p:{probe_name} not fired: {message}"]


@pytest.mark.parametrize("call,message", WRONG, ids=[c for c, _ in WRONG])
def test_wrong_kind_is_an_error_in_strict_mode(python, call, message):
    result = python(_program([call]), env={"TRACERS": "record", "TRACERS_STRICT": "1"})
    assert result.returncode == 0, result.stderr
    probe_name = call.split("(")[0].split(".")[1]
    assert result.stdout.splitlines() == [f"raised: tracers: probe p:{probe_name} not fired: {message}", "[]"]


def test_values_of_the_declared_kind_fire(python):
    result = python(_program([call for call, _ in GOOD]), env={"TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[" + ", ".join(fired for _, fired in GOOD) + "]"
    assert result.stderr == ""


def _require_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail("numpy is not installed (the test extra installs it)", pytrace=False)
        pytest.skip("numpy is not installed")


@pytest.mark.parametrize("strict", ["0", "1"])
def test_numpy_bools_and_integers_are_accepted(python, strict):
    _require_numpy()
    calls = ["P.flag(numpy.bool_(True))", "P.flag(numpy.array([1, 0]) > 0)", "P.flag(numpy.int64(0))",
             "P.small(numpy.uint8(200))", "P.size(numpy.int64(9))", "P.size(numpy.float64(1.5))"]
    code = _program(calls).replace("import warnings\n", "import warnings\nimport numpy\n")
    code = code.replace("attempt(P.flag(numpy.array([1, 0]) > 0))", "attempt(P.flag((numpy.array([1, 0]) > 0)[0]))")
    result = python(code, env={"TRACERS": "record", "TRACERS_STRICT": strict})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == ("[('p', 'flag', (True,)), ('p', 'flag', (True,)), ('p', 'flag', (False,)), "
                         "('p', 'small', (200,)), ('p', 'size', (9,))]")
    refused = "tracers: probe p:size not fired: size: expected U32, got numpy.float64"
    if strict == "1":
        assert lines[:-1] == ["raised: " + refused]
    else:
        assert refused in result.stderr
