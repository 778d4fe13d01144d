"""The editable install that the README's test command makes is visible to mypy and pyright run
outside the checkout (setuptools' default editable finder is an import hook they cannot see)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import distributions
from pathlib import Path
from typing import List

import pytest

from prerequisites import unavailable

REPO = Path(__file__).resolve().parents[2]
NAME = "python-tracers"

# Line 4 is a deliberate mistake: a checker that found tracers reports it, one that did not reports the import.
USER_CODE = """\
import tracers
from tracers import probe, tracer

version: int = tracers.__version__
"""


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A project of a user, outside the checkout, for this environment's editable install of tracers."""
    # The dist-info in site-packages (a checkout may also hold an .egg-info, which has no direct_url.json).
    installed = list(distributions(name=NAME, path=[sysconfig.get_paths()["purelib"]]))
    direct_url = json.loads(installed[0].read_text("direct_url.json") or "{}") if installed else {}
    if not direct_url.get("dir_info", {}).get("editable") or \
            Path(direct_url["url"].replace("file://", "", 1)).resolve() != REPO:
        unavailable(f"{NAME} is not installed in editable mode from {REPO} (python -m pip install -e '.[test]')")
    (tmp_path / "app.py").write_text(USER_CODE)
    return tmp_path


def run(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("MYPY")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_mypy_outside_the_checkout_finds_the_editable_install(outside: Path) -> None:
    result = run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "app.py"], cwd=outside)
    errors = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith("app.py:4: error: Incompatible types in assignment") \
        and errors[0].endswith("[assignment]"), result.stdout + result.stderr


def test_pyright_outside_the_checkout_finds_the_editable_install(outside: Path) -> None:
    pyright = shutil.which("pyright")
    if pyright is None:
        unavailable("pyright is not installed (npm install -g pyright; .ci/run installs it)")
    result = run([str(pyright), "--outputjson", "--pythonpath", sys.executable, "app.py"], cwd=outside)
    diagnostics = json.loads(result.stdout)["generalDiagnostics"]
    found = [(d["range"]["start"]["line"] + 1, d["severity"], d.get("rule")) for d in diagnostics]
    assert found == [(4, "error", "reportAssignmentType")], result.stdout
