"""Run a script or module as ``__main__`` with its probe sites rewritten.

The ``__main__`` module never passes through a meta-path finder, so the
runner compiles it itself, the way ``coverage run`` does.
"""
from __future__ import annotations

import builtins
import os
import runpy
import sys
import types
from typing import NoReturn, Sequence

from .. import _config
from ._compile import compile_rewritten
from ._finder import TracersLoader


def run_script(path: str, args: Sequence[str]) -> None:
    """Execute the file at ``path`` as ``__main__`` with ``sys.argv = [path, *args]``.

    As with ``python SCRIPT``, ``__file__`` and code locations use the absolute
    path while ``sys.argv[0]`` keeps the path as given.
    """
    filename = os.path.abspath(path)
    with open(filename, "rb") as file:
        source = file.read()
    code = compile_rewritten(source, filename, _config.current().enabled)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=filename, __cached__=None, __loader__=TracersLoader("__main__", filename),
                         __spec__=None, __builtins__=builtins)
    sys.argv[:] = [path, *args]
    if not getattr(sys.flags, "safe_path", False):  # python -P adds no script directory
        sys.path[0] = os.path.dirname(filename)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def run_module(name: str, args: Sequence[str]) -> None:
    """Execute module ``name`` as ``__main__``, like ``python -m name``."""
    sys.argv[:] = [name, *args]  # runpy puts the module's file in argv[0]
    runpy.run_module(name, run_name="__main__", alter_sys=True)


def report_and_exit(error: BaseException) -> NoReturn:
    """Print a traceback that starts in the user's code, then exit 1 as Python does."""
    tb = error.__traceback__
    package_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")
    while tb is not None and _is_machinery(tb.tb_frame.f_code.co_filename, package_dir):
        tb = tb.tb_next
    # The default excepthook prints the exception's own __traceback__, whatever
    # it is passed: cut the runner's frames off the exception itself.
    sys.excepthook(type(error), error.with_traceback(tb), tb)
    sys.exit(1)


def _is_machinery(filename: str, package_dir: str) -> bool:
    return (filename.startswith(package_dir) or filename.startswith("<frozen runpy")
            or os.path.basename(filename) == "runpy.py")
