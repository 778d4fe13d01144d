"""Run a script or module as ``__main__`` with its probe sites rewritten.

The ``__main__`` module never passes through a meta-path finder, so the
runner compiles it itself, the way ``coverage run`` does.  Child processes
that ``multiprocessing`` starts with ``spawn`` or ``forkserver`` run that
script again as ``__mp_main__``: :func:`rewrite_main_of_children` has them
compile it the same way.  Errors are shown as plain Python shows them.
"""

import builtins
import os
import sys

from _tracers_importhook._loader import TracersLoader

from .._report import OWN_DIRECTORIES
from ._cache import compile_main

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import ModuleType, TracebackType
    from typing import Any, Dict, NoReturn, Optional, Sequence
else:
    ModuleType = type(sys)  # types.ModuleType, without importing types


def run_script(path: str, args: "Sequence[str]") -> None:
    """Execute the file at ``path`` as ``__main__`` with ``sys.argv = [path, *args]``.

    As with ``python SCRIPT``, ``__file__`` and code locations use the absolute
    path while ``sys.argv[0]`` keeps the path as given.
    """
    filename = os.path.abspath(path)
    with open(filename, "rb") as file:
        source = file.read()
    code = compile_main(source, filename)
    main = ModuleType("__main__")
    main.__dict__.update(__file__=filename, __cached__=None, __loader__=TracersLoader("__main__", filename),
                         __spec__=None, __builtins__=builtins)
    sys.argv[:] = [path, *args]
    if not getattr(sys.flags, "safe_path", False):  # python -P adds no script directory
        sys.path[0] = os.path.dirname(filename)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def run_module(name: str, args: "Sequence[str]") -> None:
    """Execute module ``name`` as ``__main__``, like ``python -m name``."""
    import runpy

    sys.argv[:] = [name, *args]  # runpy puts the module's file in argv[0]
    runpy.run_module(name, run_name="__main__", alter_sys=True)


def rewrite_main_of_children(spawn: "ModuleType") -> None:
    """Make ``multiprocessing.spawn`` run a child's copy of the main script rewritten."""
    standard = getattr(spawn, "runpy")
    if not isinstance(standard, _RewritingRunpy):
        setattr(spawn, "runpy", _RewritingRunpy(standard))


class _RewritingRunpy:
    """Stands for ``runpy`` in ``multiprocessing.spawn``, whose ``run_path``
    re-runs the parent's main script in a child."""

    def __init__(self, runpy_module: "ModuleType") -> None:
        self._runpy = runpy_module

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._runpy, name)

    def run_path(self, path_name: "Any", init_globals: "Optional[Dict[str, Any]]" = None,
                 run_name: "Optional[str]" = None) -> "Dict[str, Any]":
        if isinstance(path_name, str) and path_name.endswith(".py") and os.path.isfile(path_name):
            return run_path(path_name, init_globals, run_name)
        result: Dict[str, Any] = self._runpy.run_path(path_name, init_globals, run_name)
        return result


def run_path(path: str, init_globals: "Optional[Dict[str, Any]]" = None,
             run_name: "Optional[str]" = None) -> "Dict[str, Any]":
    """``runpy.run_path`` for a ``.py`` file, with its probe sites rewritten."""
    with open(path, "rb") as file:
        source = file.read()
    code = compile_main(source, path)
    name = run_name if run_name is not None else "<run_path>"
    module = ModuleType(name)
    namespace = module.__dict__
    namespace.update(init_globals or {})
    namespace.update(__name__=name, __file__=path, __cached__=None, __doc__=None, __loader__=None,
                     __package__=name.rpartition(".")[0], __spec__=None)
    saved_module = sys.modules.get(name)
    saved_argv0 = sys.argv[0] if sys.argv else None
    sys.modules[name] = module
    if sys.argv:
        sys.argv[0] = path
    try:
        exec(code, namespace)
    finally:
        if saved_module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved_module
        if saved_argv0 is not None:
            sys.argv[0] = saved_argv0
    return namespace.copy()


def raise_uncaught(error: BaseException) -> "NoReturn":
    """Let ``error`` end the process as an uncaught exception does (exit
    status 1; by SIGINT for a ``KeyboardInterrupt``), shown as plain Python
    shows it: the ``sys.excepthook`` in place gets the user's frames only.
    (The default hook prints the exception's own ``__traceback__``, so that
    is cut too.)"""
    hook = sys.excepthook

    def excepthook(kind: type, value: BaseException, tb: "Optional[TracebackType]") -> None:
        if value is error:
            tb = user_traceback(tb)
            value.with_traceback(tb)
        hook(kind, value, tb)

    sys.excepthook = excepthook
    raise error


def user_traceback(tb: "Optional[TracebackType]") -> "Optional[TracebackType]":
    """``tb`` as plain Python would show it.

    The launcher's and the runner's frames go; under ``run -m``, ``runpy``'s
    two frames that ``python -m`` shows stay.  Where a module's import failed
    inside tracers' loader (a ``SyntaxError``), the frames of the import
    machinery, the loader and the parser go too: plain Python hides the import
    machinery's frames when compiling fails, and there are no others.
    """
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    codes = [entry.tb_frame.f_code for entry in frames]
    runner = next((i for i, code in enumerate(codes) if code in _RUNNER_CODES), None)
    kept: list[TracebackType]
    if runner is None:  # not under the runner: only its callers' frames can lead
        start = 0
        while start < len(frames) and _is_runner(codes[start].co_filename):
            start += 1
        kept, rest = [], frames[start:]
    else:
        kept, rest = _as_python_m(frames, codes, runner)
    chunk: list[TracebackType] = []
    for entry in [*rest, None]:
        if entry is not None and _is_import_machinery(entry.tb_frame.f_code.co_filename):
            chunk.append(entry)
            continue
        if not any(_is_ours(e.tb_frame.f_code.co_filename) for e in chunk):
            kept += chunk
        chunk = []
        if entry is not None:
            kept.append(entry)
    for entry, following in zip(kept, [*kept[1:], None]):
        entry.tb_next = following
    return kept[0] if kept else None


def _as_python_m(frames: "list[TracebackType]", codes: "list[Any]",
                 runner: int) -> "tuple[list[TracebackType], list[TracebackType]]":
    """Split the frames below the runner's entry into the ones ``python -m``
    (or ``python SCRIPT``) shows above the user's code and the rest."""
    inner = runner + 1
    while inner < len(frames) and _is_runner(codes[inner].co_filename):
        inner += 1
    kept: list[TracebackType] = []
    if codes[runner] is run_module.__code__:
        if codes[0].co_name == "_run_module_as_main" and _is_runpy(codes[0].co_filename):
            kept.append(frames[0])  # python -m tracers: the same frame as python -m MODULE's
        if inner > runner + 1 and codes[inner - 1].co_name == "_run_code":
            kept.append(frames[inner - 1])
    return kept, frames[inner:]


def _is_ours(filename: str) -> bool:
    return filename.startswith(OWN_DIRECTORIES)


def _is_runpy(filename: str) -> bool:
    return filename.startswith("<frozen runpy") or os.path.basename(filename) == "runpy.py"


def _is_runner(filename: str) -> bool:
    return _is_ours(filename) or _is_runpy(filename)


def _is_import_machinery(filename: str) -> bool:
    return (_is_ours(filename) or filename.startswith("<frozen importlib._bootstrap")
            or filename.endswith(os.sep + "ast.py"))




_RUNNER_CODES = (run_script.__code__, run_module.__code__)
