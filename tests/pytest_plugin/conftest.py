"""Run pytest in a fresh interpreter on a small project written by the test.

The child loads the tracers plugin the way a user's pytest does: through the
``pytest11`` entry point of the installed distribution, with this checkout
first on ``PYTHONPATH``.  Nothing of the parent's environment that changes the
tracing mode, pytest's options or bytecode caching reaches it.
"""
from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
_SCRUBBED = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTHONDONTWRITEBYTECODE",
             "PYTHONPYCACHEPREFIX", "PYTHONPATH", "PYTHONWARNINGS", "PYTHONOPTIMIZE", "PYTHONSAFEPATH")


def entry_point_registered() -> bool:
    return any(ep.group == "pytest11" and ep.value == "_tracers_pytestplugin"
               for dist in importlib.metadata.distributions() for ep in dist.entry_points)


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: Mapping[str, str]) -> None:
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def pytest(self, *args: str, env: Optional[Mapping[str, str]] = None,
               path: Sequence[Path] = ()) -> subprocess.CompletedProcess:
        """``python -m pytest ARGS`` in the project (cache provider off, so nothing but pycs is written)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACERS") and k not in _SCRUBBED}
        full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), *map(str, path)])
        full_env.update(env or {})
        return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                              cwd=str(self.root), env=full_env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    if not entry_point_registered():
        pytest.fail("the pytest11 entry point of tracers is not registered in this environment: "
                    "reinstall with 'pip install -e .[test]'")
    return Project(tmp_path / "project")
