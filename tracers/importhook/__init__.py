"""The import hook: rewrite ``probe(...)`` statements as modules are imported.

Activate it before the application imports its modules, typically in
``sitecustomize.py``::

    import tracers.importhook
    tracers.importhook.install()

or run the program with ``python -m tracers run``, or set
``TRACERS_IMPORTHOOK=1``: the ``tracers-importhook.pth`` file that ``pip``
installs with tracers then calls :func:`startup` as Python starts (``run``
sets it, so that its child processes get the hook too).
"""
import os
import sys
from _thread import allocate_lock

# importlib's own modules, without importing the importlib package at start-up.
import _frozen_importlib_external as _bootstrap_external
from _frozen_importlib_external import PathFinder

from ._finder import TracersFinder, TracersLoader, might_have_probe_sites, patch_after_import, patch_imported

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import ModuleType, TracebackType
    from typing import Iterable, Optional, Sequence

__all__ = ["install", "uninstall", "installed", "startup", "TracersFinder", "TracersLoader", "ENV_HOOK"]

# The standard import system's own function, bound now, before another tool can swap it
# for its own variant while it loads a module; _cache (imported later) uses it.
_standard_cache_from_source = _bootstrap_external.cache_from_source

#: Set (to 1) to install the hook as Python starts, in this process and its children.
ENV_HOOK = "TRACERS_IMPORTHOOK"

_lock = allocate_lock()
_installed_finder: "Optional[TracersFinder]" = None


class Installation:
    """Returned by :func:`install`; as a context manager it uninstalls on exit
    if this call was the one that installed the hook."""

    def __init__(self, owner: bool) -> None:
        self.owner = owner

    def __enter__(self) -> "Installation":
        return self

    def __exit__(self, kind: "Optional[type]", value: "Optional[BaseException]", tb: "Optional[TracebackType]") -> None:
        if self.owner:
            uninstall()


def install(packages: "Optional[Iterable[str]]" = None) -> "Installation":
    """Put the rewriting finder on ``sys.meta_path`` (idempotent).

    ``packages`` limits rewriting to those packages and their submodules: a
    library calls ``install(packages=[__name__])`` from its ``__init__.py``.
    Calls compose: the one finder rewrites the union of what was asked, and a
    call without ``packages`` widens it to every module.

    Modules imported earlier keep their original code; each one that fires
    probes is named in a warning, since its probes run through the slower
    runtime fallback.
    """
    global _installed_finder
    if isinstance(packages, str):
        raise TypeError(f"install(packages=...) takes a list of package names, e.g. packages=[{packages!r}]")
    if "TRACERS" in os.environ or "TRACERS_STRICT" in os.environ:
        from .. import _config  # not at every start-up: with neither variable set there is nothing to report

        _config.current()  # a bad value is reported now, in one line, not at the first probe
    scope = None if packages is None else tuple(packages)
    with _lock:
        if _installed_finder is not None and _installed_finder in sys.meta_path:
            owner = False
            if not _installed_finder.include(scope):
                return Installation(owner)
        else:
            owner = True
            _installed_finder = TracersFinder(scope)
            sys.meta_path.insert(_path_finder_index(), _installed_finder)
        finder = _installed_finder
    patch_imported()
    _warn_about_earlier_imports(scope, finder)
    return Installation(owner)


def startup() -> None:
    """Install the hook if ``TRACERS_IMPORTHOOK`` asks for it (called by the ``.pth`` file).

    ``multiprocessing`` children started with ``spawn`` or ``forkserver`` run
    the parent's main script again as ``__mp_main__``; in such a process that
    script is rewritten too, as ``python -m tracers run`` rewrote it in the parent.
    """
    if os.environ.get(ENV_HOOK, "").strip() in ("", "0"):
        return
    install()
    patch_after_import("multiprocessing.spawn", _rewrite_children_main)


def _rewrite_children_main(spawn: "ModuleType") -> None:
    from ._runner import rewrite_main_of_children
    rewrite_main_of_children(spawn)


def uninstall() -> None:
    """Remove the finder; modules already rewritten stay rewritten."""
    global _installed_finder
    with _lock:
        if _installed_finder is not None and _installed_finder in sys.meta_path:
            sys.meta_path.remove(_installed_finder)
        _installed_finder = None


def installed() -> bool:
    """Whether the hook is active in this process."""
    return _installed_finder is not None and _installed_finder in sys.meta_path


def _path_finder_index() -> int:
    for index, finder in enumerate(sys.meta_path):
        if finder is PathFinder:
            return index
    return len(sys.meta_path)


def _warn_about_earlier_imports(packages: "Optional[Sequence[str]]", finder: "TracersFinder") -> None:
    """Name each module with probe sites imported before the hook (in ``packages``: their submodules).

    Modules the hook would not rewrite anyway (compiled into Python, or in the
    standard library) are skipped: every start-up looks at those.
    """
    import tracers

    main = sys.modules.get("__main__")
    for name, module in list(sys.modules.items()):
        # A package calling install(packages=[__name__]) is still running its __init__.py.
        if packages is not None and not any(name.startswith(f"{package}.") for package in packages):
            continue
        # The main module (and multiprocessing's '__mp_main__' alias of it) is
        # still running: 'python -m tracers run' is the way to rewrite it.
        if module is main or name in ("__main__", "__mp_main__") or name == "tracers" or name.startswith("tracers."):
            continue
        if name in sys.builtin_module_names or finder.in_standard_library(getattr(module, "__file__", None)):
            continue
        if _fires_probes(module, tracers) and not isinstance(getattr(module, "__loader__", None), TracersLoader):
            from .. import _fire, _report

            _fire.note_warned(name)
            _report.warn(
                f"tracers: module {name!r} was imported before tracers.importhook.install(); "
                f"its probe() calls are not rewritten and run through the slower fallback. "
                f"Install the hook earlier (sitecustomize.py or 'python -m tracers run')."
            )


def _fires_probes(module: "ModuleType", tracers: "ModuleType") -> bool:
    """Whether ``module`` has probe sites (that now run through the fallback).

    Only modules that bind ``tracers`` or ``tracers.probe`` can have one; their
    source, when there is one, says for sure, so that a module that only
    imports ``tracers.importhook`` (``sitecustomize.py``, ``conftest.py``) is
    not mistaken for one.
    """
    namespace = getattr(module, "__dict__", None)
    if not isinstance(namespace, dict):
        return False
    fire = sys.modules.get("tracers._fire")  # not imported yet: nothing can have bound probe
    bound = {id(tracers)} if fire is None else {id(tracers), id(fire.probe)}
    if bound.isdisjoint(map(id, list(namespace.values()))):  # identity, tested in C: every start-up does this
        return False
    source = _source_of(module)
    if source is None:
        return True
    if not might_have_probe_sites(source):
        return False
    import ast  # parsing is needed only here, not at every start-up

    from ._transform import rewrite

    try:
        return rewrite(ast.parse(source), enabled=False).sites > 0
    except (SyntaxError, ValueError, RecursionError):
        return True


def _source_of(module: "ModuleType") -> "Optional[bytes]":
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return None
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None
