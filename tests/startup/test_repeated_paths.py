"""What tracers runs again for every module, provider and probe: no import statement.

Inside a function, ``from . import x`` (or ``from .x import y``) is not a
lookup in ``sys.modules``: at every call CPython resolves the relative name
through the module spec's ``parent`` property and, importing from a package,
calls importlib's ``_handle_fromlist``, both in Python. In the paths that run
once per imported module (the finder, the loader), per provider bound and
per probe looked up, that cost about a tenth of what they do. Each case
runs a fresh interpreter, profiles the calls of those two functions while
it loads modules, binds providers and looks probes up, and reports the
ones made by import statements in tracers' own code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

from startup_support import REPO, clean_environment
MODULES = 6

PROVIDERS = textwrap.dedent("""\
    from tracers import tracer

    @tracer
    class Shop:
        def sold(item: str, count: int): ...
        def refunded(item: str): ...
        def closed(): ...
""")

PROBED = textwrap.dedent("""\
    from tracers import probe
    from .providers import Shop

    def sell(item, count):
        probe(Shop.sold(item, count))
        probe(Shop.refunded(item))
        probe(Shop.closed())
""")

PLAIN = textwrap.dedent("""\
    import os

    def where():
        return os.getcwd()
""")

CHILD = textwrap.dedent("""\
    import importlib, json, sys
    import tracers.importhook
    tracers.importhook.install()
    sys.path.insert(0, sys.argv[1])
    importlib.import_module("shop.plain_0")  # the first module: imports the loader
    OURS = tuple(sys.argv[2].split("|"))  # the package's directory and the finder's
    found = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_name in ("_handle_fromlist", "parent"):
            caller = frame.f_back
            if caller is not None and caller.f_code.co_filename.startswith(OURS):
                found.append(f"{caller.f_code.co_name} ({caller.f_code.co_filename}:{caller.f_lineno})")

    sys.setprofile(profile)
    for index in range(1, int(sys.argv[3])):
        importlib.import_module(f"shop.plain_{index}")
    sys.setprofile(None)

    # Not counted: what a process does once (the backend's modules, imported with the first
    # provider; the fire functions' module, with the first event).
    importlib.import_module("shop.probed_0").sell("tea", 0)
    importlib.import_module("shop.providers").Shop.closed.fire()

    sys.setprofile(profile)
    for index in range(1, int(sys.argv[3])):
        module = importlib.import_module(f"shop.probed_{index}")
        module.sell("tea", index)

    @tracers.tracer
    class Later:
        def one(value: int): ...
        def two(value: int): ...
    Later.one.fire(1)
    Later.two.fire(2)
    sys.setprofile(None)
    print(json.dumps(found))
""")


def calls_from_import_statements(tmp_path: Path, env: Dict[str, str]) -> List[str]:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "providers.py").write_text(PROVIDERS)
    for index in range(MODULES):
        (package / f"plain_{index}.py").write_text(PLAIN)
        (package / f"probed_{index}.py").write_text(PROBED)
    clean = clean_environment(**env, TRACERS_RUNTIME_DIR=str(tmp_path / "runtime"))
    for _ in range(2):  # the second run reads what the first cached: the one whose calls are kept
        ours = "|".join(os.path.join(REPO, name, "") for name in ("tracers", "_tracers_importhook"))
        done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), ours, str(MODULES)],
                              env=clean, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    found: List[str] = json.loads(done.stdout.splitlines()[-1])
    return found


@pytest.mark.parametrize("mode", ["off", "usdt", "record"])
def test_loading_modules_binding_providers_and_looking_probes_up_runs_no_import_statement(
        tmp_path: Path, mode: str) -> None:
    env = {} if mode == "off" else {"TRACERS": mode}
    assert calls_from_import_statements(tmp_path, env) == []
