"""Probe statements that run through the runtime fallback (modules not rewritten at import).

Off: nothing is built and nothing is said. On: one warning per module, at the
module's own line, naming it and how to install the hook.
"""
from __future__ import annotations

import sys
import textwrap

import pytest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importhook"))
from hook_support import HOOK, require_module  # noqa: E402

PROVIDERS = """
    from tracers import tracer

    @tracer
    class P:
        def e(a: int, s: str): ...
    """

LIB = """
    from tracers import probe
    from providers import P

    def work(n):
        probe(P.e(n, "lib"))  # line 5
    """

OTHER = """
    from tracers import probe
    from providers import P

    def work(n):
        probe(P.e(n, "other"))
    """

FALLBACK_FIX = ("activate the import hook before it is imported: tracers.importhook.install() in sitecustomize.py "
                "('python -m tracers sitecustomize --write'), 'python -m tracers run', or, in a library, "
                "tracers.importhook.install(packages=[__name__]) in its __init__.py")


def _write(root: Path, files: dict) -> None:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text).lstrip("\n"))


def test_off_builds_nothing_and_says_nothing(python, tmp_path):
    """Off, a probe call ignores its arguments, as the statement the hook deletes does."""
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB})
    code = textwrap.dedent("""\
        from tracers import probe
        from providers import P
        import lib
        calls = [P.e(1, "a"), P.e(b=2), P.e(), P.e(1, 2, 3, s=[]), P.e("wrong", b"types")]
        print(calls, probe(calls[0]), probe(None), lib.work(3))
    """)
    result = python(["-W", "error", "-c", code], env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[None, None, None, None, None] None None None"]
    assert result.stderr == ""


DOCUMENTED = """
    from tracers import tracer

    @tracer
    class P:
        def e(a: int, s: str):
            '''Documented.'''
    """


def test_off_probes_keep_what_they_declare(python, tmp_path):
    """The off probe's call is C code; the probe is still a Probe, with its declaration's face."""
    _write(tmp_path, {"providers.py": DOCUMENTED})
    code = textwrap.dedent("""\
        import inspect
        from tracers import Probe, probe
        from providers import P
        print(isinstance(P.e, Probe), inspect.signature(P.e), P.e.__doc__, P.e.__qualname__, repr(P.e))
        print(bool(P.e), P.e.gate, P.e.fire(1, "a"), P.e.name, P.e.label, type(P.e).__doc__.split(".")[0])
        try:
            probe(42)
        except TypeError as error:
            print(error)
    """)
    result = python(["-W", "error", "-c", code], env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True (a: int, s: str) Documented. P.e <probe p:e(a: int, s: str)>",
        "False False None e p:e One probe of a provider declared while tracing is off",
        "probe() takes a probe call such as probe(MyProvider.event(arg1, arg2)), not int",
    ]


def test_a_provider_declared_off_stays_silent_once_tracing_is_on(python, tmp_path):
    """Tracing switched on (as the pytest plugin does) after a provider was declared off:
    that provider's calls give None, which probe() ignores; later providers fire."""
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB})
    code = textwrap.dedent("""\
        from tracers import _config, probe, tracer
        from tracers.runtime import record
        import lib
        _config.launch("record")

        @tracer
        class Q:
            def e(a: int): ...

        lib.work(1)
        probe(Q.e(2))
        print(probe(None), probe(lib.P.e(3, "x")), [(e.probe, e.args) for e in record.events()])
    """)
    result = python(["-W", "error", "-c", code], env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None None [('e', (2,))]"


@pytest.mark.parametrize("mode", ["off", "noop"])
def test_a_provider_pickled_by_value_keeps_its_probes_kind(python, mode):
    """cloudpickle copies a ``__main__`` provider with its probes: off, the copy's calls still give None."""
    require_module("cloudpickle")
    code = textwrap.dedent("""\
        import pickle
        import cloudpickle
        from tracers import tracer

        @tracer
        class P:
            def e(a: int): ...

        copy = pickle.loads(cloudpickle.dumps(P))
        print(type(copy.e).__name__, type(P.e).__name__, copy.e(1) is None, P.e(2) is None)
    """)
    result = python(["-W", "ignore", "-c", code], env={"TRACERS": mode})
    assert result.returncode == 0, result.stderr
    expected = "_OffProbe _OffProbe True True" if mode == "off" else "Probe Probe False False"
    assert result.stdout.strip() == expected


def test_on_warns_once_per_module_at_its_line(python, tmp_path):
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB, "other.py": OTHER})
    code = textwrap.dedent("""\
        import warnings
        warnings.simplefilter("always")
        from tracers.runtime import record
        import lib, other
        for n in range(3):
            lib.work(n)
            other.work(n)
        print([e.args for e in record.events()])
    """)
    result = python(code, env={"PYTHONPATH": str(tmp_path), "TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([(n, s) for n in range(3) for s in ("lib", "other")])
    warnings = [line for line in result.stderr.splitlines() if "RuntimeWarning" in line]
    assert warnings == [
        f"{tmp_path / 'lib.py'}:5: RuntimeWarning: tracers: module 'lib' fires probes through the slower runtime "
        f"fallback because its probe() statements were not rewritten at import; {FALLBACK_FIX}",
        f"{tmp_path / 'other.py'}:5: RuntimeWarning: tracers: module 'other' fires probes through the slower "
        f"runtime fallback because its probe() statements were not rewritten at import; {FALLBACK_FIX}",
    ]


def test_on_but_idle_warns_too(python, tmp_path):
    """The cost is paid whether or not a tracer listens: the warning does not wait for one."""
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB})
    result = python("import lib\nlib.work(1)\nlib.work(2)\n", env={"PYTHONPATH": str(tmp_path), "TRACERS": "noop"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("RuntimeWarning: tracers: module 'lib' fires probes through the slower") == 1


def test_the_main_script_is_told_to_use_tracers_run(python, tmp_path):
    _write(tmp_path, {"providers.py": PROVIDERS,
                      "main.py": "from tracers import probe\nfrom providers import P\nprobe(P.e(1, 'x'))\n"})
    result = python([str(tmp_path / "main.py")], env={"TRACERS": "noop"})
    assert result.returncode == 0, result.stderr
    assert (f"main.py:3: RuntimeWarning: tracers: module '__main__' fires probes through the slower runtime "
            f"fallback because its probe() statements were not rewritten at import; run it with "
            f"'python -m tracers run {tmp_path / 'main.py'}'") in result.stderr


def test_rewritten_modules_are_not_warned_about(python, tmp_path):
    """A rewritten module may still reach the fallback (a probe call that is not a plain statement)."""
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB, "indirect.py": """
        import tracers
        from providers import P

        def work(n):
            fire = tracers.probe
            fire(P.e(n, "indirect"))
        """})
    code = HOOK + "\nimport lib, indirect\nlib.work(1)\nindirect.work(2)\n" \
        "from tracers.runtime import record\nprint([e.args for e in record.events()])\n"
    result = python(["-W", "error", "-c", code], env={"PYTHONPATH": str(tmp_path), "TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(1, 'lib'), (2, 'indirect')]"
    assert "RuntimeWarning" not in result.stderr, result.stderr  # indirect's loader tells it was rewritten


def test_a_module_named_by_install_is_not_named_again(python, tmp_path):
    _write(tmp_path, {"providers.py": PROVIDERS, "lib.py": LIB})
    code = "import lib\n" + HOOK + "\nlib.work(1)\n"
    result = python(code, env={"PYTHONPATH": str(tmp_path), "TRACERS": "record"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("RuntimeWarning") == 1, result.stderr
    assert "module 'lib' was imported before tracers.importhook.install()" in result.stderr
