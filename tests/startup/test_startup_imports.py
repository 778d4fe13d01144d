"""What start-up imports: every Python process that installs the hook pays for it.

Each case runs in a fresh interpreter with a clean environment (no site
``.pth`` files, no coverage start-up hook, no TRACERS variables) and reports which modules one statement
added to ``sys.modules``.  The lists below are the whole of what may be added:
a change that imports anything more (``typing``, ``re``, ``importlib.abc``,
``sysconfig``, the parser, a backend ...) fails here and must be justified by
changing this file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from startup_support import REPO, clean_environment

#: Modules that must never be imported by start-up, named so a failure says what came back.
HEAVY = ("typing", "re", "collections", "functools", "threading", "warnings", "inspect", "dataclasses",
         "enum", "importlib", "importlib.abc", "importlib.machinery", "importlib.util", "sysconfig", "types",
         "ast", "contextlib", "weakref", "json", "platform", "tempfile", "shlex", "operator",
         "ctypes", "hashlib", "tracers._provider", "tracers._fire", "tracers._types", "tracers._docs",
         "tracers.importhook._transform", "tracers.importhook._compile", "tracers.runtime")
#: What the ``usdt`` backend avoids as well: ``from __future__ import annotations`` imports
#: ``__future__``; ``ctypes`` and ``hashlib`` wrap the C modules it uses directly; the ELF writer
#: packs its records without ``_struct``, and the object store locks files without ``fcntl`` (shared
#: libraries to load) and tells libc's failures apart without ``errno``.
NOT_FOR_USDT = ("__future__", "ctypes", "struct", "_struct", "fcntl", "errno", "hashlib", "typing", "re",
                "collections", "functools", "threading", "inspect", "dataclasses", "platform", "json", "tempfile",
                "types", "ast")

CHILD = """
import site  # under -S: what start-up imports (os, stat, posixpath...) without running any .pth file
import sys
before = set(sys.modules)
{statement}
added = set(sys.modules) - before
import json
print(json.dumps({{"before": sorted(before), "added": sorted(added)}}))
"""


def added_by(statement: str, env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None) -> List[str]:
    """The modules ``statement`` adds to ``sys.modules`` in a fresh, clean interpreter."""
    clean = clean_environment(**(env or {}))
    # -S: no site-packages .pth files, which on some machines import half the
    # standard library (a coverage start-up hook, a certificate bundle) first.
    done = subprocess.run([sys.executable, "-S", "-c", CHILD.format(statement=statement)], env=clean,
                          cwd=str(cwd or REPO), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    preloaded = sorted(set(HEAVY) & set(report["before"]))
    assert not preloaded, f"the interpreter imported {preloaded} before the statement ran: this test proves nothing"
    return list(report["added"])


def test_import_tracers_imports_only_the_package() -> None:
    assert added_by("import tracers") == ["tracers"]


def test_the_lines_tracers_prints_for_sitecustomize_import_only_the_finder() -> None:
    """``python -m tracers sitecustomize``'s lines install the hook without importing the tracers package."""
    from tracers.cli.snippet import SNIPPET

    assert added_by(SNIPPET) == ["_tracers_importhook", "atexit"]  # atexit: compiled into Python


def test_installing_the_hook_by_the_package_s_name_imports_only_the_package_and_the_hook() -> None:
    added = added_by("import tracers.importhook\ntracers.importhook.install()")
    assert added == ["_tracers_importhook", "atexit", "tracers", "tracers.importhook"]


def test_a_sitecustomize_that_installs_the_hook_imports_only_the_finder(tmp_path: Path) -> None:
    """The module installing the hook binds the finder's module itself: it is not taken for one with probes."""
    from tracers.cli.snippet import SNIPPET

    (tmp_path / "sitecustomize.py").write_text(SNIPPET)
    added = added_by("import sitecustomize", cwd=tmp_path)
    assert added == ["_tracers_importhook", "atexit", "sitecustomize"]


def test_importing_the_standard_library_under_the_hook_loads_no_more_of_tracers() -> None:
    """The finder leaves standard modules to the standard loader: the rewriting loader is not even imported."""
    added = added_by("import tracers.importhook\ntracers.importhook.install()\nimport json, logging, email.message")
    assert [name for name in added if name.startswith("tracers")] == ["tracers", "tracers.importhook"]


def test_the_loader_is_still_the_package_s_attribute() -> None:
    """It lives beside the finder, and comes alone: not the rewriting, its cache, the mode nor the parser."""
    added = added_by("import tracers.importhook\nassert tracers.importhook.TracersLoader.__name__ == 'TracersLoader'")
    assert added == ["_tracers_importhook", "_tracers_importhook._loader", "tracers", "tracers.importhook"]


def test_modules_without_sites_under_the_hook_leave_the_mode_unread(tmp_path: Path) -> None:
    """What most processes on a machine with the hook in sitecustomize do: import modules outside the
    standard library, none of which holds a probe site. Their standard pycs say so, and the finder's
    loader loads them without importing anything of the ``tracers`` package (the rewriting, its
    cache, the mode and the records it uses); a module with a probe site imports the rewriting and
    reads the mode.
    (The test's name keeps that word out of ``tmp_path``: a standard pyc holds its source's path, and
    one that holds the word anywhere takes the loader's slower path, which reads the mode.)"""
    (tmp_path / "plain_module.py").write_text("VALUE = 1\n")
    (tmp_path / "other_module.py").write_text("import plain_module\nNAMES = ['trace']\n")
    (tmp_path / "probed.py").write_text("from tracers import probe\n")
    setup = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\nimport _tracers_importhook; _tracers_importhook.install()\n"
    added_by(setup + "import other_module")  # a first run writes the standard pycs
    added = added_by(setup + "import other_module")
    assert sorted(added) == ["_tracers_importhook", "_tracers_importhook._loader", "atexit", "other_module",
                             "plain_module"]
    assert {"tracers._config", "tracers.importhook._cache"} <= set(added_by(setup + "import probed"))


def test_installing_the_hook_with_tracing_set_adds_only_the_mode() -> None:
    added = added_by("import tracers.importhook\ntracers.importhook.install()", env={"TRACERS": "usdt"})
    assert added == ["_collections", "_tracers_importhook", "atexit", "tracers", "tracers._config", "tracers._record",
                     "tracers.importhook"]


def test_the_pth_line_with_its_variable_unset_imports_nothing() -> None:
    line = (REPO / "tracers-importhook.pth").read_text().strip()
    assert added_by(f"exec({line!r})") == []


def test_a_library_hook_imports_the_same() -> None:
    added = added_by("import tracers.importhook\ntracers.importhook.install(packages=['mylib'])")
    assert added == ["_tracers_importhook", "atexit", "tracers", "tracers.importhook"]


def test_api_names_are_imported_on_first_use() -> None:
    added = added_by("import tracers\ntracers.ConfigError, tracers.__version__")
    assert added == ["tracers", "tracers._errors"]


@pytest.mark.parametrize("mode", ["off", "noop"])
def test_declaring_a_provider_imports_no_heavy_module(tmp_path: Path, mode: str) -> None:
    """``from tracers import probe, tracer`` and a provider with plain annotations, its
    module's rewritten code cached by an earlier run."""
    (tmp_path / "app.py").write_text(textwrap.dedent("""\
        from tracers import probe, tracer

        @tracer
        class App:
            def started(name: str, port: int, secure: bool, body: bytes): ...

        probe(App.started("web", 80, False, b""))
    """))
    statement = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
                 f"import tracers.importhook; tracers.importhook.install(); import app")
    cold = added_by(statement, env={"TRACERS": mode})
    assert "tracers.importhook._compile" in cold  # the first import rewrote app and cached it
    added = added_by(statement, env={"TRACERS": mode})
    expected = {"tracers._provider", "tracers._fire", "tracers._types"}
    if mode == "noop":  # the backend is loaded, and nothing else
        expected |= {"tracers.runtime", "tracers.runtime.noop"}
    assert expected <= set(added)
    assert not set(HEAVY) & set(added) - expected, added


def test_the_first_hook_import_of_a_plain_module_does_not_load_the_parser(tmp_path: Path) -> None:
    """A module without probe sites and without a standard pyc is compiled as Python compiles it."""
    (tmp_path / "plain_module.py").write_text("VALUE = 1\n")
    added = added_by(f"import sys; sys.dont_write_bytecode = True; sys.path.insert(0, {str(tmp_path)!r})\n"
                     f"import tracers.importhook; tracers.importhook.install(); import plain_module")
    assert not set(HEAVY) & set(added), added


def test_the_finder_knows_the_standard_library_as_sysconfig_names_it() -> None:
    """The finder computes the paths without importing sysconfig: they must be the same ones."""
    import sysconfig

    import tracers.importhook as hook

    finder = hook.TracersFinder()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib"):
        assert finder.in_standard_library(os.path.join(paths[key], "json", "__init__.py")), key
        assert finder.in_standard_library(os.path.join(os.path.realpath(paths[key]), "os.py")), key
    for key in ("purelib", "platlib"):
        assert not finder.in_standard_library(os.path.join(paths[key], "somepackage", "__init__.py")), key
        assert not finder.in_standard_library(os.path.join(os.path.realpath(paths[key]), "module.py")), key
    assert finder.in_standard_library(os.__file__)
    assert not finder.in_standard_library(str(REPO / "tracers" / "__init__.py"))


def test_the_finder_looks_for_the_standard_library_at_the_first_import_that_asks() -> None:
    """A process that imports nothing after start-up (or only modules lying directly in the
    directory of ``os``, as 3.13's ``python -c`` imports ``linecache``) never pays for finding
    those directories; the standard modules keep the standard loader either way."""
    child = textwrap.dedent("""
        import sys
        import _tracers_importhook
        _tracers_importhook.install()
        finder = next(f for f in sys.meta_path if isinstance(f, _tracers_importhook.TracersFinder))
        print(finder._standard is None)
        import keyword  # a module of its own, which imports nothing
        print(finder._standard is None, type(sys.modules["keyword"].__loader__).__name__)
        import json
        print(finder._standard is None, type(sys.modules["json"].__loader__).__name__)
    """)
    done = subprocess.run([sys.executable, "-S", "-c", child], env=clean_environment(), cwd=str(REPO),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "SourceFileLoader", "False", "SourceFileLoader"], done.stdout


def test_the_first_usdt_provider_imports_the_backend_and_no_wrapper_module(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    statement = ("from tracers import tracer\n"
                 "class First:\n    def started(name: str, port: int): ...\n"
                 "First = tracer(First)")
    added = added_by(statement, env={"TRACERS": "usdt", "TRACERS_RUNTIME_DIR": str(runtime)})
    assert {"tracers.runtime.usdt._backend", "tracers.runtime.usdt._store", "_ctypes"} <= set(added), added
    assert not set(NOT_FOR_USDT) & set(added), added


def test_tracers_run_imports_no_wrapper_module(tmp_path: Path) -> None:
    """``python -m tracers run`` of a script with one provider, its code cached by a first run:
    what the whole process imported beyond ``python -m`` of an empty module."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    report = "import json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    (tmp_path / "empty_main.py").write_text(report)
    (tmp_path / "hello.py").write_text(textwrap.dedent("""\
        from tracers import probe, tracer

        @tracer
        class Hello:
            def greeted(name: str, count: int): ...

        probe(Hello.greeted("world", 1))
    """) + report)
    clean = clean_environment(TRACERS="usdt", TRACERS_RUNTIME_DIR=str(runtime))

    def modules(*args: str) -> List[str]:
        done = subprocess.run([sys.executable, *args], env=clean, cwd=str(tmp_path), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return list(json.loads(done.stdout.splitlines()[-1]))

    modules("-m", "tracers", "run", "hello.py")  # writes the rewritten code's cache
    added = set(modules("-m", "tracers", "run", "hello.py")) - set(modules("-m", "empty_main"))
    assert {"tracers.cli.run", "tracers.importhook._runner", "tracers.runtime.usdt._backend"} <= added, added
    # The probe was looked up, its gate closed (no tracer): its fire function waits for its first event.
    assert "tracers.runtime.usdt._fire" not in added, sorted(added)
    assert not set(NOT_FOR_USDT) & added, sorted(added)
