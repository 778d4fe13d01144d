"""What a test needs from the machine (a tool, a third-party package): in CI,
which installs everything, a missing one fails the test; elsewhere it skips."""
from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> None:
    """A prerequisite is missing: fail in CI, skip elsewhere."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_tool(name: str) -> str:
    """The path of an external tool."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed")
    return str(path)
