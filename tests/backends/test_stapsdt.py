"""The stapsdt backend: a clear error without libstapsdt; real probes where it exists."""
import importlib.util
import textwrap

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
    assert result.stderr.count("RuntimeWarning") == 1
    assert "backend 'stapsdt' unavailable" in result.stderr
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
