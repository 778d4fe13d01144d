"""Helpers shared by the import hook tests (see conftest.py).

The tracing mode is fixed once per process, so almost every test runs a fresh
interpreter (``sys.executable``) with a clean environment: ``TRACERS`` set only
where a test asks for it, bytecode writing on, and ``PYTHONPATH`` holding the
test's ``tmp_path`` and the repository root.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Sequence
from prerequisites import require_tool, unavailable  # noqa: F401  (the tests import them from here)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

if str(REPO) not in sys.path:  # the in-process tests import tracers from this checkout
    sys.path.insert(0, str(REPO))

# Variables that change what the child interpreter does with bytecode, paths or modes.
_SCRUBBED = (
    "TRACERS", "TRACERS_STRICT", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX",
    "PYTHONSAFEPATH", "PYTHONWARNINGS", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONOPTIMIZE",
    "PYTHONDEVMODE", "PYTHONNOUSERSITE", "PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
    "TRACERS_IMPORTHOOK",
)

# The lines a child runs to activate the hook.
HOOK = "import tracers.importhook; tracers.importhook.install()"


class Py:
    """Runs fresh interpreters with a test's ``tmp_path`` on ``PYTHONPATH``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: Mapping[str, str], root: Optional[Path] = None) -> Path:
        """Write ``{relative path: source}`` (dedented) under ``root`` (default ``tmp_path``)."""
        base = root or self.root
        for name, text in files.items():
            path = base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return base

    def env(self, tracers: Optional[str] = None, extra: Optional[Mapping[str, str]] = None,
            path: Iterable[Path] = ()) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in path), str(self.root), str(REPO)])
        env["PYTHONIOENCODING"] = "utf-8"
        if tracers is not None:
            env["TRACERS"] = tracers
        env.update(extra or {})
        return env

    def run(self, args: Sequence[str], *, tracers: Optional[str] = None,
            env: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None,
            stdin: Optional[str] = None, path: Iterable[Path] = (), check: Optional[int] = 0,
            timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``python ARGS``; with ``check`` set, insist on that exit code."""
        done = subprocess.run(
            [sys.executable, *args], input=stdin if stdin is not None else "", capture_output=True,
            text=True, env=self.env(tracers, env, path), cwd=str(cwd or self.root), timeout=timeout,
        )
        if check is not None and done.returncode != check:
            raise AssertionError(
                f"python {' '.join(args)[:300]} exited {done.returncode}, expected {check}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done

    def code(self, source: str, *args: str, **options) -> subprocess.CompletedProcess:
        """Run ``python -c SOURCE ARGS``."""
        return self.run(["-c", textwrap.dedent(source), *args], **options)

    def result(self, source: str, **options) -> object:
        """Run ``source``, which prints one JSON value on its last stdout line; return it."""
        done = self.code(source, **options)
        lines = done.stdout.strip().splitlines()
        assert lines, f"no output\n--- stderr\n{done.stderr}"
        return json.loads(lines[-1])


# A module recording the order in which probe arguments are evaluated.
LOG_MODULE = """
calls = []

def arg(value):
    calls.append(value)
    return value
"""


def require_module(name: str):
    """Import a third-party package the test needs (installed by the test extra)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} is not installed (pip install -e '.[test]')")
