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
    directory = write or sysconfig.get_paths()["purelib"]
    path = os.path.join(directory, "sitecustomize.py")
    first = _imported_before(directory)
    if first is not None:
        print(f"tracers: Python imports {first} as sitecustomize, before {path}, which would never run: "
              f"nothing written. Append the lines 'python -m tracers sitecustomize' prints to {first}, "
              f"or run programs with 'python -m tracers run'", file=sys.stderr)
        return 1
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


def _imported_before(directory: str) -> Optional[str]:
    """The ``sitecustomize`` module that Python's start-up finds on ``sys.path`` before ``directory``, if any.

    A Debian interpreter, for one, has its own in its standard library, ahead
    of every site-packages: only the first one found runs.  A directory not
    on ``sys.path`` (written for another interpreter) is not judged.
    """
    from importlib.machinery import PathFinder

    # The command's own directory, first on sys.path, is not there while the start-up imports sitecustomize.
    entries = sys.path if getattr(sys.flags, "safe_path", False) else sys.path[1:]
    target = os.path.realpath(directory)
    resolved = [os.path.realpath(entry or os.curdir) for entry in entries]
    if target not in resolved:
        return None
    for entry in entries[:resolved.index(target)]:
        spec = PathFinder.find_spec("sitecustomize", [entry])
        if spec is not None:
            return spec.origin or entry
    return None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", nargs="?", const="", metavar="DIR",
                        help="append them to DIR/sitecustomize.py (default DIR: this interpreter's site-packages)")


def main(options: argparse.Namespace) -> int:
    return sitecustomize(options.write)
