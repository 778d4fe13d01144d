"""Shared helpers: run code in a fresh interpreter with a chosen tracing mode."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(code_or_args, env: Optional[dict] = None, cwd=None, input: Optional[str] = None,
               timeout: float = 60, executable: Optional[Path] = None) -> subprocess.CompletedProcess:
    """Run ``python -c CODE`` (or ``python ARGS...``) with the repo importable;
    ``executable``: another interpreter than this one (see :func:`make_bare_venv`)."""
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), (env or {}).pop("PYTHONPATH", None)]))
    full_env.update(env or {})
    return subprocess.run([str(executable or sys.executable), *args], env=full_env, cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=timeout)


def make_bare_venv(directory: Path) -> Path:
    """The python of a new virtual environment without pip in ``directory``: its own site-packages,
    where a test may let a fault write rather than into the interpreter running the tests."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], check=True, timeout=120)
    return directory / "bin" / "python"


@pytest.fixture
def python():
    return run_python


@pytest.fixture
def bare_venv():
    return make_bare_venv
