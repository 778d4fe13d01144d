"""Modules that other tools' finders and loaders import still get their probe sites rewritten.

With the real typeguard (its import hook sits before tracers' finder and
instruments modules in its own loader), beartype.claw (a path hook whose loader
transforms modules) and a real editable install made by pip (setuptools'
finder, after ``PathFinder``, provides the package's top level).  With tracing
off a rewritten probe's argument is never evaluated; through the runtime
fallback (probe not rewritten) it always is: ``log.calls`` tells them apart.
"""
from __future__ import annotations

import json
import subprocess
import sys
import sysconfig

import pytest

from hook_support import HOOK, LOG_MODULE, require_module

APP = """
    from tracers import probe, tracer
    from log import arg

    @tracer
    class App:
        def event(x: int): ...

    def run(n: int) -> int:
        probe(App.event(arg(n)))
        return n
"""

TOOLS = {
    "typeguard": "from typeguard import install_import_hook; install_import_hook('app')",
    "beartype": "from beartype.claw import beartype_package; beartype_package('app')",
}

DRIVER = """
    import json, sys
    {first}
    {second}
    import app, log
    app.run(1)
    try:
        app.run("not an int")
        checked = None
    except Exception as error:  # the tool's own type checking still works
        checked = type(error).__name__
    events = []
    if "tracers.runtime.record" in sys.modules:
        from tracers.runtime import record
        events = [list(e.args) for e in record.events()]
    print(json.dumps({{"calls": log.calls, "events": events, "checked": checked,
                       "loader": type(app.__loader__).__name__}}))
"""

CHECKED = {"typeguard": "TypeCheckError", "beartype": "BeartypeCallHintParamViolation"}
LOADERS = {"typeguard": "TypeguardLoader", "beartype": "BeartypeSourceFileLoader"}


@pytest.mark.parametrize("order", ["hook-first", "tool-first"])
@pytest.mark.parametrize("tool", list(TOOLS))
def test_modules_of_another_tools_loader_are_rewritten(py, tool, order):
    require_module(tool)
    py.write({"app/__init__.py": APP, "log.py": LOG_MODULE})
    first, second = (HOOK, TOOLS[tool]) if order == "hook-first" else (TOOLS[tool], HOOK)
    driver = DRIVER.format(first=first, second=second)
    expected = {"checked": CHECKED[tool], "loader": LOADERS[tool]}
    # Off, on, off again: the tool's bytecode cache must not carry one mode's code into the other.
    for mode, calls, events in ((None, [], []), ("record", [1], [[1]]), (None, [], [])):
        got = py.result(driver, tracers=mode)
        assert got == {"calls": calls, "events": events, **expected}, mode
    # The control: without tracers' hook the probe runs through the fallback.
    assert py.result(DRIVER.format(first=TOOLS[tool], second=""))["calls"] == [1]


OUTSIDE = """
    from tracers import probe
    from app import App
    from log import arg

    def go(n):
        probe(App.event(arg(n)))
"""


def test_modules_beartype_loads_but_does_not_check_are_rewritten(py):
    """beartype.claw's path hook loads every module it finds, checking only its packages'."""
    require_module("beartype")
    py.write({"app/__init__.py": APP, "log.py": LOG_MODULE, "outside.py": OUTSIDE})
    got = py.result(f"""
        import json
        {HOOK}
        {TOOLS['beartype']}
        import outside, log
        outside.go(3)
        print(json.dumps([log.calls, type(outside.__loader__).__name__]))
    """)
    assert got == [[], "BeartypeSourceFileLoader"]


def test_tracer_accepts_declarations_typeguard_instrumented(py):
    """typeguard adds argument checks to every annotated function, probe declarations included."""
    require_module("typeguard")
    py.write({"app/__init__.py": APP, "log.py": LOG_MODULE, "decorated.py": """
        from typeguard import typechecked
        from tracers import tracer

        @tracer
        @typechecked
        class Decorated:
            def event(x: int):
                '''A docstring only.'''
    """})
    got = py.result(f"""
        import json
        {TOOLS['typeguard']}
        import app, decorated
        print(json.dumps([repr(app.App.event), repr(decorated.Decorated.event)]))
    """)
    assert got == ["<probe app:event(x: int)>", "<probe decorated:event(x: int)>"]


def test_tracer_still_refuses_a_body_the_user_wrote(py):
    require_module("typeguard")
    py.write({"wrong.py": """
        from tracers import tracer

        @tracer
        class Wrong:
            def event(x: int):
                print(x)
    """})
    done = py.code(f"{TOOLS['typeguard'].replace('app', 'wrong')}\nimport wrong", check=1)
    assert "wrong.py:5: probe Wrong.event: the body must be empty" in done.stderr.replace(str(py.root) + "/", "")


OPAQUE = """
    import builtins, sys
    from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader

    class OpaqueLoader(SourceFileLoader):
        def source_to_code(self, data, path, *, _optimize=-1):
            return builtins.compile(data, path, "exec", dont_inherit=True)

    sys.path_hooks.insert(0, FileFinder.path_hook((OpaqueLoader, SOURCE_SUFFIXES)))
    sys.path_importer_cache.clear()
"""


def test_a_loader_tracers_cannot_reach_gets_one_warning_naming_the_module(py):
    py.write({"app/__init__.py": APP, "log.py": LOG_MODULE, "opaque.py": OPAQUE})
    done = py.code(f"""
        {HOOK}
        import opaque, json
        import app, log
        app.run(1)
        app.run(2)
        print(json.dumps(log.calls))
    """)
    assert json.loads(done.stdout) == [1, 2]  # the fallback: arguments evaluated
    assert done.stderr.count("RuntimeWarning") == 1
    assert ("tracers: module 'app' is compiled by opaque.OpaqueLoader in a way tracers cannot reach; "
            "its probe() calls are not rewritten") in done.stderr


EDITABLE_PYPROJECT = """
    [build-system]
    requires = ["setuptools>=64"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "edpkg"
    version = "0.1"

    [tool.setuptools.packages.find]
    include = ["edpkg*"]
"""


@pytest.fixture
def editable_install(py, tmp_path):
    """edpkg installed by ``pip install -e`` into its own prefix; returns that prefix's site directory."""
    project = tmp_path / "project"
    py.write({"pyproject.toml": EDITABLE_PYPROJECT,
              "edpkg/__init__.py": APP.replace("class App", "class Ed").replace("App.event", "Ed.event"),
              "edpkg/sub.py": "from tracers import probe\nfrom edpkg import Ed\nfrom log import arg\n\n"
                              "def go(n):\n    probe(Ed.event(arg(n)))\n"}, root=project)
    prefix = tmp_path / "prefix"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--prefix", str(prefix),
                           "-e", str(project)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        from hook_support import unavailable
        unavailable(f"pip install -e failed (needs setuptools from the package index):\n{done.stderr[-2000:]}")
    site_dir = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    assert any(p.name.startswith("__editable__") and p.name.endswith("finder.py")
               for p in __import__("pathlib").Path(site_dir).iterdir()), "setuptools used no editable finder"
    return site_dir


def test_the_top_level_of_an_editable_install_is_rewritten(py, editable_install):
    py.write({"log.py": LOG_MODULE})
    driver = f"""
        import json, site, sys
        site.addsitedir({editable_install!r})  # processes the .pth files pip installed
        HOOK_LINE
        import edpkg, edpkg.sub, log
        edpkg.run(1)
        edpkg.sub.go(2)
        finders = [getattr(f, "__module__", "") for f in sys.meta_path]
        print(json.dumps({{"calls": log.calls, "file": edpkg.__file__,
                           "finder": any(name.startswith("__editable__") for name in finders)}}))
    """
    got = py.result(driver.replace("HOOK_LINE", HOOK))
    assert got["calls"] == [] and got["finder"] and got["file"].endswith("project/edpkg/__init__.py")
    on = py.result(driver.replace("HOOK_LINE", HOOK), tracers="record")
    assert on["calls"] == [1, 2]
    assert py.result(driver.replace("HOOK_LINE", ""))["calls"] == [1, 2]  # the control: no hook, no rewriting


def test_a_subclass_of_the_loader_keeps_the_classes_after_it(py):
    """A module without probe sites gets the code the classes after ``TracersLoader`` in a
    subclass's order give (as ``super()`` does), first import included; one with sites is rewritten."""
    py.write({
        "plainmod.py": "V = 1\n",
        "mentions.py": "import tracers\nNOTE = 'probe'\n",  # may hold a site, compiled, holds none
        "probed.py": """
            from tracers import probe, tracer

            @tracer
            class P:
                def e(x: int): ...

            probe(P.e(1))
            """,
    })
    got = py.result("""
        import json
        from importlib.machinery import SourceFileLoader
        from importlib.util import module_from_spec, spec_from_file_location
        from tracers.importhook import TracersLoader
        from tracers.runtime import record

        reached = []

        class Recording(SourceFileLoader):
            def get_code(self, fullname):
                reached.append(fullname)
                return super().get_code(fullname)

        class Loader(TracersLoader, Recording):
            pass

        for name in ("plainmod", "mentions", "probed"):
            spec = spec_from_file_location(name, f"{name}.py", loader=Loader(name, f"{name}.py"))
            spec.loader.exec_module(module_from_spec(spec))
        print(json.dumps([reached, [event.args for event in record.events()]]))
        """, tracers="record")
    assert got == [["plainmod", "mentions"], [[1]]]
