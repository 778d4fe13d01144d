"""What the start-up tests share: a fresh interpreter's environment, free of what would preload modules.

``TRACERS*`` would choose a mode, ``COVERAGE*`` starts coverage in every
child, and ``PYTHON*`` (``PYTHONDONTWRITEBYTECODE``, a ``PYTHONPATH`` of the
caller's) changes what is imported or cached: the children get none of them,
and the repository as their ``PYTHONPATH``.
"""
import os
from pathlib import Path
from typing import Dict

REPO = Path(__file__).resolve().parents[2]


def clean_environment(**extra: str) -> Dict[str, str]:
    """This process's environment without ``TRACERS*``, ``COVERAGE*`` and ``PYTHON*``, the repository
    importable, then ``extra``."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("TRACERS", "COVERAGE", "PYTHON"))}
    clean["PYTHONPATH"] = str(REPO)
    clean.update(extra)
    return clean
