"""Run a script or module as ``__main__`` with its probe sites rewritten.

The ``__main__`` module never passes through a meta-path finder, so the
runner compiles it itself, the way ``coverage run`` does.
"""
from __future__ import annotations

import os
import runpy
import sys
import types
from typing import NoReturn, Sequence

from .. import _config
from ._compile import compile_rewritten


def run_script(path: str, args: Sequence[str]) -> None:
    """Execute the file at ``path`` as ``__main__`` with ``sys.argv = [path, *args]``."""
    with open(path, "rb") as file:
        source = file.read()
    code = compile_rewritten(source, path, _config.current().enabled)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=path, __cached__=None, __loader__=None, __spec__=None,
                         __builtins__=__builtins__)
    sys.argv[:] = [path, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def run_module(name: str, args: Sequence[str]) -> None:
    """Execute module ``name`` as ``__main__``, like ``python -m name``."""
    sys.argv[:] = [name, *args]  # runpy puts the module's file in argv[0]
    runpy.run_module(name, run_name="__main__", alter_sys=True)


def report_and_exit(error: BaseException) -> NoReturn:
    """Print a traceback that starts in the user's code, then exit 1 as Python does."""
    tb = error.__traceback__
    runner_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    while tb is not None and (tb.tb_frame.f_code.co_filename.startswith(runner_dir)
                              or tb.tb_frame.f_code.co_filename.startswith("<frozen runpy")
                              or tb.tb_frame.f_code.co_filename.endswith("runpy.py")):
        tb = tb.tb_next
    sys.excepthook(type(error), error, tb if tb is not None else error.__traceback__)
    sys.exit(1)
