"""Shared helpers: run code in a fresh interpreter with a chosen tracing mode."""
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(code_or_args, env: Optional[dict] = None, cwd=None, input: Optional[str] = None,
               timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``python -c CODE`` (or ``python ARGS...``) with the repo importable."""
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS")}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), (env or {}).pop("PYTHONPATH", None)]))
    full_env.update(env or {})
    return subprocess.run([sys.executable, *args], env=full_env, cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def python():
    return run_python
