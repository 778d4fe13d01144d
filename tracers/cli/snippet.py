"""``python -m tracers sitecustomize``: activate the hook for every program."""
from __future__ import annotations

import argparse
import os
import sys
import sysconfig
from typing import Optional

# The hook's finder by the name that does not import the tracers package: every start-up pays
# for what sitecustomize imports. "import tracers.importhook" installs the same finder.
SNIPPET = """\
# tracers: rewrite probe() statements at import (mode from the TRACERS variable)
import _tracers_importhook
_tracers_importhook.install()
"""

# What installs the hook in a sitecustomize.py already, by either name.
_INSTALLS = ("_tracers_importhook.install()", "tracers.importhook.install()")


def sitecustomize(write: Optional[str]) -> int:
    """Print the snippet, or append it to ``sitecustomize.py`` in ``write``
    (an empty string: this interpreter's site-packages)."""
    if write is None:
        sys.stdout.write(SNIPPET)
        return 0
    path = os.path.join(write or sysconfig.get_paths()["purelib"], "sitecustomize.py")
    existing = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as file:
            existing = file.read()
    if any(call in existing for call in _INSTALLS):
        print(f"tracers: {path} already installs the hook", file=sys.stderr)
        return 0
    with open(path, "a", encoding="utf-8") as file:
        file.write(("\n" if existing and not existing.endswith("\n") else "") + SNIPPET)
    print(f"tracers: appended the hook to {path}", file=sys.stderr)
    return 0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", nargs="?", const="", metavar="DIR",
                        help="append them to DIR/sitecustomize.py (default DIR: this interpreter's site-packages)")


def main(options: argparse.Namespace) -> int:
    return sitecustomize(options.write)
