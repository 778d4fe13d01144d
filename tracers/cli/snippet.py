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
    (an empty string: this interpreter's site-packages) and compile that file."""
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
    existing = b""
    if os.path.exists(path):
        with open(path, "rb") as file:
            existing = file.read()
    problem = _compile_error(existing, path)
    if problem is not None:
        print(f"tracers: {problem}: nothing written; Python's start-up gives up on the file at that error, so "
              f"the hook would never run: fix {path} first", file=sys.stderr)
        return 1
    if any(call.encode() in existing for call in _INSTALLS):
        print(f"tracers: {path} already installs the hook", file=sys.stderr)
    else:
        with open(path, "ab") as file:  # the snippet is ASCII: right in any encoding the file declares
            file.write((b"\n" if existing and not existing.endswith(b"\n") else b"") + SNIPPET.encode())
        print(f"tracers: appended the hook to {path}", file=sys.stderr)
    return _write_bytecode(path)


def _compile_error(source: bytes, path: str) -> Optional[str]:
    """What stops ``source`` from compiling, with its place, or None."""
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as error:  # a NUL byte has no line (and is a ValueError before 3.11.4)
        return f"{path}:{error.lineno}: {error.msg}" if error.lineno else f"{path}: {error.msg}"
    except ValueError as error:
        return f"{path}: {error}"
    return None


def _write_bytecode(path: str) -> int:
    """Compile ``path`` as the import system caches it.

    A process that cannot write the directory's ``__pycache__`` (another
    user's, where root installed the hook) would otherwise compile the file
    at each start-up: about 1 ms, more than the hook costs.
    """
    import py_compile

    try:
        cached = py_compile.compile(path, doraise=True)
    except (py_compile.PyCompileError, OSError) as problem:  # changed meanwhile, or __pycache__ not writable
        print(f"tracers: cannot write the bytecode of {path} ({problem}): a process that cannot write it either "
              f"compiles the file at each start-up; run this command again as the owner of its directory",
              file=sys.stderr)
        return 1
    print(f"tracers: compiled {path} to {cached}, which start-ups read instead of compiling the file",
          file=sys.stderr)
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
                        help="append them to DIR/sitecustomize.py and compile it "
                             "(default DIR: this interpreter's site-packages)")


def main(options: argparse.Namespace) -> int:
    return sitecustomize(options.write)
