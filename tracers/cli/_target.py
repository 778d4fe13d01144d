"""What a command-line target names: a ``.py`` file, a package directory or a dotted module name.

A file inside a package is imported under its real dotted name (found by
walking up the directories that hold an ``__init__.py``), so that its relative
imports work as they do in the program.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from types import ModuleType
from typing import NamedTuple, Optional


class TargetError(Exception):
    """The target cannot be used; the message says why and what to pass instead."""


class Target(NamedTuple):
    module: str  # the dotted name it is imported as
    path: Optional[str]  # its source file (a package's __init__.py); None for a namespace package
    root: Optional[str]  # the directory to put on sys.path so that ``module`` imports; None: importable as is
    is_package: bool


def resolve(target: str) -> Target:
    """Find the module a file, directory or dotted name stands for, without importing it
    (a dotted name's parent packages excepted, as ``importlib.util.find_spec`` does)."""
    if os.path.isdir(target):
        init = os.path.join(target, "__init__.py")
        if not os.path.isfile(init):
            raise TargetError(f"{target} is a directory without __init__.py; "
                              f"name a .py file, a package directory or a dotted module name")
        return _from_file(init)
    if os.path.isfile(target):
        if not target.endswith(".py"):
            raise TargetError(f"{target} is not a Python source file (.py)")
        return _from_file(target)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # found as ``python -m`` finds it, however the command was started
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise TargetError(f"{target!r} is neither a file nor an importable module")
    origin = spec.origin if spec.has_location else None
    return Target(spec.name, origin, None, spec.submodule_search_locations is not None)


def _from_file(path: str) -> Target:
    """The dotted name of a source file: its own name (none for ``__init__.py``) under each enclosing package."""
    path = os.path.abspath(path)
    directory, filename = os.path.split(path)
    is_package = filename == "__init__.py"
    parts = [] if is_package else [filename[: -len(".py")]]
    while os.path.isfile(os.path.join(directory, "__init__.py")) and os.path.basename(directory).isidentifier():
        parts.insert(0, os.path.basename(directory))
        directory = os.path.dirname(directory)
    if not parts:
        raise TargetError(f"{os.path.dirname(path)} is not a name Python can import; name one of its modules")
    return Target(".".join(parts), path, directory, is_package)


def import_target(target: Target) -> ModuleType:
    """Import the target under its dotted name; a file that this name does not reach is refused."""
    if target.root is not None:
        sys.path.insert(0, target.root)
    module = importlib.import_module(target.module)
    found = getattr(module, "__file__", None)
    if target.path is not None and not (found and os.path.exists(found)
                                        and os.path.samefile(found, target.path)):
        raise TargetError(f"{target.path} imports as {target.module!r}, which is already {found or 'loaded'}; "
                          f"rename the file or name the module instead")
    return module


def describe_failure(name: str, error: BaseException) -> str:
    """One line for a module that failed to import: the module, the place and the error."""
    place = ""
    if isinstance(error, SyntaxError) and error.filename:
        place = f" ({error.filename}:{error.lineno})"
    else:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith("<")]
        if frames:
            place = f" ({frames[-1].filename}:{frames[-1].lineno})"
    text = error.msg if isinstance(error, SyntaxError) else " ".join(str(error).split())
    return f"{name}{place}: {type(error).__name__}: {text}"
