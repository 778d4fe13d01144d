"""The stapsdt backend: a clear error without libstapsdt; real probes where it exists."""
import textwrap
from pathlib import Path

import pytest

PROGRAM = textwrap.dedent("""\
    from tracers import tracer, probe
    @tracer
    class P:
        def e(a: int, s: str): ...
    probe(P.e(1, "x"))
    print("done", bool(P.e))
""")


def _libstapsdt_present() -> bool:
    try:
        import stapsdt  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.mark.skipif(_libstapsdt_present(), reason="libstapsdt is installed here")
def test_missing_library_falls_back_with_one_clear_warning(python):
    result = python(PROGRAM, env={"TRACERS": "stapsdt"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done False"
    assert result.stderr.count("RuntimeWarning: tracers: backend 'stapsdt' unavailable") == 1
    assert "install libstapsdt" in result.stderr and "pip install tracers[stapsdt]" in result.stderr


def test_auto_never_picks_stapsdt():
    from tracers.runtime import choose_auto

    assert choose_auto()[0] in ("usdt", "noop")


@pytest.mark.skipif(not _libstapsdt_present(), reason="libstapsdt is not installed (no registry here ships it)")
def test_probes_load_through_libstapsdt(python):
    result = python(PROGRAM, env={"TRACERS": "stapsdt"})
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr
    assert result.stdout.strip() == "done False"  # loaded, no tracer attached


STAND_IN = textwrap.dedent("""\
    from typing import Optional
    import stapsdt
    from tracers import tracer, probe, U8, I16
    @tracer
    class P:
        def e(a: int, s: str, b: bytes, f: bool, small: U8, neg: I16, maybe: Optional[str]): ...
    probe(P.e(1, "x", b"y", True, 300, -2, None))
    print(bool(P.e))
    stapsdt.enabled.add("p:e")
    probe(P.e(1, "x", b"\\xffz", True, 300, -2, None))
    print(bool(P.e))
    for call in stapsdt.calls:
        print(call)
""")


def test_types_and_values_reach_the_binding(python):
    stand_in = Path(__file__).resolve().parent / "stand_in"
    result = python(STAND_IN, env={"TRACERS": "stapsdt", "PYTHONPATH": str(stand_in)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "False",
        "True",
        "('add_probe', 'p', 'e', ['int64', 'uint64', 'uint64', 'uint8', 'uint8', 'int16', 'uint64'])",
        "('load', 'p')",
        "('fire', 'p:e', (1, 'x', '\ufffdz', 1, 44, -2, 0))",  # invalid UTF-8 bytes replaced
    ]
