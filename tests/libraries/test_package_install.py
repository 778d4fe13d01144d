"""A library that activates rewriting for its own modules: ``install(packages=[__name__])``."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importhook"))
from hook_support import HOOK, Py  # noqa: E402

LIBRARY_INIT = """
    import tracers.importhook
    tracers.importhook.install(packages=[__name__])

    from . import core
    """

CORE = """
    from tracers import probe, tracer

    @tracer(provider="{name}")
    class Probes:
        def work(n: int): ...

    def with_probe(n):
        probe(Probes.work(n))
        return n

    def without_probe(n):
        return n
    """

REPORT = """
    import json, sys
    import tracers.importhook as hook
    finders = [f for f in sys.meta_path if isinstance(f, hook.TracersFinder)]

    def facts(module):
        return {
            "loader": type(module.__loader__).__name__,
            "gates": sorted(n for n in vars(module) if n.startswith("_tracers_gate_")),
            "names": list(module.with_probe.__code__.co_names),
            "same_bytecode": module.with_probe.__code__.co_code == module.without_probe.__code__.co_code,
        }

    report = {name: facts(sys.modules[name]) for name in MODULES}
    report["finders"] = len(finders)
    report["packages"] = sorted(finders[0].packages) if finders and finders[0].packages is not None else None
    print(json.dumps(report))
    """


@pytest.fixture
def py(tmp_path: Path) -> Py:
    py = Py(tmp_path)
    py.write({"mylib/__init__.py": LIBRARY_INIT, "mylib/core.py": CORE.format(name="mylib"),
              "lib2/__init__.py": LIBRARY_INIT, "lib2/core.py": CORE.format(name="lib2"),
              "plain/__init__.py": "", "plain/core.py": CORE.format(name="plain")})
    return py


def _report(py: Py, imports: str, modules: list, **options) -> dict:
    code = textwrap.dedent(imports) + f"\nMODULES = {modules!r}\n" + textwrap.dedent(REPORT)
    result = py.result(code, **options)
    assert isinstance(result, dict)
    return result


def test_only_the_library_is_rewritten(py):
    report = _report(py, "import mylib, plain.core", ["mylib.core", "plain.core"])
    assert report["mylib.core"] == {"loader": "TracersLoader", "gates": [], "names": [], "same_bytecode": True}
    assert report["plain.core"]["loader"] == "SourceFileLoader" and "probe" in report["plain.core"]["names"]
    assert report["finders"] == 1 and report["packages"] == ["mylib"]


def test_with_tracing_on_the_library_fires_rewritten_and_others_through_the_fallback(py):
    code = """
        import mylib, plain.core
        from tracers.runtime import record
        mylib.core.with_probe(1)
        plain.core.with_probe(2)
        print(json.dumps([list(e) for e in record.events()]))
        """
    done = py.code("import json\n" + textwrap.dedent(code), tracers="record")
    assert json.loads(done.stdout) == [["mylib", "work", [1]], ["plain", "work", [2]]]
    assert done.stderr.count("RuntimeWarning") == 1, done.stderr
    assert "tracers: module 'plain.core' fires probes through the slower runtime fallback" in done.stderr
    report = _report(py, "import mylib", ["mylib.core"], tracers="record")
    assert report["mylib.core"]["gates"] == ["_tracers_gate_0_Probes_work"]
    assert "fire" in report["mylib.core"]["names"] and "probe" not in report["mylib.core"]["names"]


def test_two_libraries_share_one_finder_and_a_global_install_widens_it(py):
    report = _report(py, "import mylib, lib2", ["mylib.core", "lib2.core"])
    assert report["finders"] == 1 and report["packages"] == ["lib2", "mylib"]
    assert report["lib2.core"]["loader"] == "TracersLoader"
    report = _report(py, "import mylib\n" + HOOK + "\nimport plain.core", ["mylib.core", "plain.core"])
    assert report["finders"] == 1 and report["packages"] is None
    assert report["plain.core"] == {"loader": "TracersLoader", "gates": [], "names": [], "same_bytecode": True}


def test_a_global_install_first_stays_global(py):
    report = _report(py, HOOK + "\nimport mylib, plain.core", ["mylib.core", "plain.core"])
    assert report["finders"] == 1 and report["packages"] is None
    assert report["plain.core"]["loader"] == "TracersLoader"


def test_install_is_idempotent_and_only_the_first_call_owns_the_hook(py):
    code = """
        import json, sys
        import tracers.importhook as hook
        first = hook.install(packages=["mylib"])
        again = hook.install(packages=["mylib"])
        wider = hook.install(packages=["mylib", "lib2"])
        finders = [f for f in sys.meta_path if isinstance(f, hook.TracersFinder)]
        print(json.dumps([first.owner, again.owner, wider.owner, len(finders), sorted(finders[0].packages)]))
        """
    assert py.result(code) == [True, False, False, 1, ["lib2", "mylib"]]


def test_a_string_is_refused_with_the_fix(py):
    done = py.code("import tracers.importhook\ntracers.importhook.install(packages='mylib')\n", check=1)
    assert done.stderr.strip().splitlines()[-1] == (
        "TypeError: install(packages=...) takes a list of package names, e.g. packages=['mylib']")


def test_only_submodules_of_the_package_imported_earlier_are_warned_about(py):
    py.write({"early/__init__.py": "", "early/core.py": CORE.format(name="early")})
    code = """
        import plain.core, early.core
        import tracers.importhook
        tracers.importhook.install(packages=["early"])
        """
    done = py.code(code)
    assert done.stderr.count("RuntimeWarning") == 1, done.stderr
    assert "tracers: module 'early.core' was imported before tracers.importhook.install()" in done.stderr


def test_a_warm_start_compiles_nothing(py):
    # (ast itself is not checked: on 3.13 importlib.abc loads it through inspect)
    code = """
        import json, sys
        import mylib
        print(json.dumps(sorted(m for m in ("tracers.importhook._transform", "tracers.importhook._compile")
                                if m in sys.modules)))
        """
    assert py.result(code) == ["tracers.importhook._compile", "tracers.importhook._transform"]  # compiles
    assert py.result(code) == []  # then the tagged pyc is enough
