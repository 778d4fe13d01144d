"""Fixtures for the import hook tests; the helpers live in hook_support.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hook_support import Py  # noqa: E402  (also puts the repository on sys.path)


@pytest.fixture
def py(tmp_path: Path) -> Py:
    """Fresh interpreters whose PYTHONPATH holds tmp_path and the repository root."""
    return Py(tmp_path)
