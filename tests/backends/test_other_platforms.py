"""Where USDT cannot work, TRACERS=usdt falls back to noop with one warning naming the platform.

The platform is simulated in a fresh interpreter: ``sys.platform``,
``os.uname()`` and ``platform.machine()`` are replaced before tracers is imported, the way the
interpreter of another system would report them. The backend is never loaded
there (no ELF file is written, ctypes is not imported).
"""
import sys
import textwrap

import pytest

PRETEND = textwrap.dedent("""\
    import os, platform, sys
    sys.platform = {platform!r}
    platform.machine = lambda: {machine!r}
    _uname = os.uname()
    os.uname = lambda: os.uname_result(tuple(_uname)[:4] + ({machine!r},))
""")

PROGRAM = textwrap.dedent("""\
    from tracers import ProbeCall, probe, tracer

    @tracer
    class First:
        @staticmethod
        def e(a: int) -> ProbeCall: ...

    @tracer
    class Second:
        @staticmethod
        def e(a: str) -> ProbeCall: ...

    probe(First.e(1))
    probe(Second.e("x"))
    print(bool(First.e), bool(Second.e), "tracers.runtime.usdt" in sys.modules, "ctypes" in sys.modules)
""")

OTHERS = [("darwin", "arm64"), ("win32", "AMD64"), ("freebsd14", "amd64"), ("linux", "riscv64"), ("linux", "s390x")]


@pytest.mark.parametrize("system,machine", OTHERS)
def test_usdt_falls_back_to_noop_with_one_warning(python, tmp_path, system, machine):
    code = PRETEND.format(platform=system, machine=machine) + PROGRAM
    result = python(code, env={"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(tmp_path / "run")})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False False False False\n"
    warnings = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if "Warning" in line]
    assert warnings == [  # at the user's first provider
        f"RuntimeWarning: tracers: backend 'usdt' unavailable, probes will not fire: "
        f"no USDT support for {system} on {machine} (USDT needs Linux on x86_64 or aarch64)"]
    first = len(PRETEND.splitlines()) + 3  # the decorator or the class line of First, as Python reports it
    assert result.stderr.startswith((f"<string>:{first}: ", f"<string>:{first + 1}: ")), result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("system,machine", OTHERS[:2])
def test_auto_is_noop_there_without_a_warning(python, system, machine):
    result = python(PRETEND.format(platform=system, machine=machine) + PROGRAM, env={"TRACERS": "auto"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False False False False\n"
    assert result.stderr == ""


def test_doctor_says_so(python):
    code = PRETEND.format(platform="darwin", machine="arm64") + textwrap.dedent("""\
        import runpy
        sys.argv = ["tracers", "doctor"]
        runpy.run_module("tracers", run_name="__main__")
    """)
    result = python(code, env={"TRACERS": "usdt"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "mode: on, backend usdt, falling back to noop: no USDT support for darwin on arm64 (TRACERS='usdt')" \
        in lines
    assert "auto backend: noop: no USDT support for darwin on arm64: probes are compiled in but never fire" in lines


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the real platform is Linux here")
def test_this_platform_keeps_usdt(python):
    result = python("from tracers.runtime import backend_note, choose_auto, usdt_unsupported\n"
                    "print(usdt_unsupported(), repr(backend_note('usdt')), choose_auto()[0])\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "None '' usdt\n"
