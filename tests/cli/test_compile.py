"""python -m tracers compile: the rewritten bytecode written ahead of time, for processes that cannot write it."""
import importlib.util
import marshal
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importhook"))
from hook_support import HOOK, Py  # noqa: E402

PROBES = """
    from tracers import tracer, probe

    @tracer
    class AppProbes:
        def started(n: int): ...

    def go(n):
        probe(AppProbes.started(n * 10))
        return n + 1
"""

# What a process that cannot write __pycache__ (here: PYTHONDONTWRITEBYTECODE) sees when it imports the module
# under the hook: the module's result, its events, and whether the hook's compiler (which parses) was imported.
IMPORT = f"""
import json, os, sys
{HOOK}
import app.probes
from tracers.runtime import record
result = app.probes.go(4)
events = record.events() if os.environ["TRACERS"] == "record" else []
print(json.dumps([result, [list(e.args) for e in events],
                  'tracers.importhook._compile' in sys.modules]))
"""


@pytest.fixture
def py(tmp_path: Path) -> Py:
    py = Py(tmp_path)
    py.write({"app/__init__.py": "", "app/probes.py": PROBES, "app/plain.py": "VALUE = 1\n"})
    return py


def _tagged(py: Py, module: str, mode: str) -> Path:
    source = str(py.root / "app" / f"{module}.py")
    return Path(importlib.util.cache_from_source(source, optimization=f"tracers{_version()}{mode}"))


def _version() -> str:
    from tracers import __version__

    return __version__.replace(".", "x").replace("+", "p").replace("-", "m")


def _code(path: Path) -> object:
    return marshal.loads(path.read_bytes()[16:])


def test_writes_both_modes_for_modules_with_probe_sites_only(py: Py) -> None:
    done = py.run(["-m", "tracers", "compile", str(py.root / "app")])
    assert f"compiled {py.root / 'app' / 'probes.py'}" in done.stdout.splitlines()
    assert "1 module(s) with probe sites written for tracing off and on; 2 without probe sites" in done.stdout
    for mode in ("off", "on"):
        assert _tagged(py, "probes", mode).is_file()
        assert not _tagged(py, "plain", mode).exists()


def test_writes_what_the_hook_itself_would_cache(py: Py) -> None:
    """The same code as the first process that imports the module writes, in each mode."""
    for mode, backend in (("off", "off"), ("on", "record")):
        py.code(f"{HOOK}\nimport app.probes", tracers=backend)  # a process that may write its cache
        by_hook = _code(_tagged(py, "probes", mode))
        _tagged(py, "probes", mode).unlink()
        py.run(["-m", "tracers", "compile", "--mode", mode, "-q", "app.probes"])
        assert _code(_tagged(py, "probes", mode)) == by_hook


def test_a_process_that_cannot_write_the_cache_imports_without_parsing(py: Py) -> None:
    # Before: every start parses, rewrites and compiles the module.
    assert py.result(IMPORT, tracers="record", env={"PYTHONDONTWRITEBYTECODE": "1"}) == [5, [[40]], True]
    py.run(["-m", "tracers", "compile", "app"])
    assert py.result(IMPORT, tracers="record", env={"PYTHONDONTWRITEBYTECODE": "1"}) == [5, [[40]], False]
    assert py.result(IMPORT, tracers="off", env={"PYTHONDONTWRITEBYTECODE": "1"}) == [5, [], False]


def test_a_stale_cache_is_not_used(py: Py) -> None:
    py.run(["-m", "tracers", "compile", "app"])
    source = py.root / "app" / "probes.py"
    source.write_text(source.read_text().replace("n + 1", "n + 10"))  # a new size: stale whatever the clock
    assert py.result(IMPORT, tracers="record", env={"PYTHONDONTWRITEBYTECODE": "1"}) == [14, [[40]], True]


def test_reports_each_file_it_cannot_compile_and_goes_on(py: Py) -> None:
    py.write({"app/broken.py": "from tracers import probe\ndef f(:\n",
              "app/refused.py": "from tracers import probe\nfrom app.probes import AppProbes\n"
                                "async def f():\n    probe(AppProbes.started(await g()))\n"})
    done = py.run(["-m", "tracers", "compile", "app"], check=1)
    assert f"tracers compile: {py.root / 'app' / 'broken.py'}:2: SyntaxError: " in done.stderr
    assert f"tracers compile: {py.root / 'app' / 'refused.py'}:4: ProbeSyntaxError: " in done.stderr
    assert "1 module(s) with probe sites written" in done.stdout and "2 failed" in done.stdout
    assert _tagged(py, "probes", "on").is_file()


def test_says_where_it_cannot_write(py: Py) -> None:
    (py.root / "app" / "__pycache__").write_text("a file where the cache directory goes\n")
    done = py.run(["-m", "tracers", "compile", "app/probes.py"], check=1)
    assert f"tracers compile: cannot write {_tagged(py, 'probes', 'off')} (" in done.stderr
    assert (py.root / "app" / "__pycache__").read_text() == "a file where the cache directory goes\n"


@pytest.mark.parametrize("target, message", [
    ("no_such_module", "'no_such_module' is neither a file nor an importable module"),
    ("app/notes.txt", "app/notes.txt is not a Python source file (.py)"),
])
def test_usage_errors(py: Py, target: str, message: str) -> None:
    (py.root / "app" / "notes.txt").write_text("notes\n")
    done = py.run(["-m", "tracers", "compile", target], check=2)
    assert f"tracers compile: {message}" in done.stderr
    assert not any((py.root / "app").glob("__pycache__/*tracers*"))


def test_a_private_source_gets_a_private_cache_file(py: Py) -> None:
    source = py.root / "app" / "probes.py"
    os.chmod(source, 0o600)
    py.run(["-m", "tracers", "compile", "app"])
    assert _tagged(py, "probes", "on").stat().st_mode & 0o777 == 0o600
