"""Modules imported before the hook: which ones fire probes, and the warning that names each.

Imported by ``install()`` only once some module has bound ``probe`` or
declared a provider: at start-up from ``sitecustomize.py`` neither has
happened, so most processes never load this module.
"""
import sys

from _tracers_importhook import _ours, might_have_probe_sites

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Optional, Sequence

    from _tracers_importhook import TracersFinder


def warn_about_earlier_imports(packages: "Optional[Sequence[str]]", finder: "TracersFinder",
                               fire: "Optional[ModuleType]") -> None:
    """Warn about each module with probe sites imported before the hook (in ``packages``: their submodules).

    Modules the hook would not rewrite anyway (the main module, tracers'
    own, compiled in, the standard library) are skipped by name and path. A
    module that binds ``tracers`` or ``tracers.probe`` (``fire``'s, tested by
    identity) and whose source names ``probe`` (or that has no source) is
    parsed: a module that only installs the hook (``sitecustomize.py``,
    ``conftest.py``) is not.
    """
    import tracers

    bound = {id(tracers)} if fire is None else {id(tracers), id(fire.probe)}
    main = sys.modules.get("__main__")
    # The main module (and multiprocessing's '__mp_main__' alias of it) is
    # still running: 'python -m tracers run' is the way to rewrite it.
    skipped = frozenset(sys.builtin_module_names).union(("__main__", "__mp_main__", "tracers"))
    in_standard_library = finder.in_standard_library
    for name, module in list(sys.modules.items()):
        if name in skipped or module is main or in_standard_library(getattr(module, "__file__", None)):
            continue
        if name.startswith("tracers."):
            continue
        # A package calling install(packages=[__name__]) is still running its __init__.py.
        if packages is not None and not any(name.startswith(f"{package}.") for package in packages):
            continue
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict) or bound.isdisjoint(map(id, list(namespace.values()))):
            continue
        if _ours(getattr(module, "__loader__", None)):  # rewritten already (an earlier install)
            continue
        source = _source_of(module)
        if source is None or might_have_probe_sites(source):
            warn_if_it_fires_probes(name, source)


def _source_of(module: "ModuleType") -> "Optional[bytes]":
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return None
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


def warn_if_it_fires_probes(name: str, source: "Optional[bytes]") -> None:
    """One warning for module ``name`` if it has probe sites, which then run through the fallback
    (``source``: the module's, ``None`` when it has none to tell)."""
    if not _has_probe_sites(source):
        return
    from .. import _fire, _report

    _fire.note_warned(name)
    _report.warn(
        f"tracers: module {name!r} was imported before tracers.importhook.install(); "
        f"its probe() calls are not rewritten and run through the slower fallback. "
        f"Install the hook earlier (sitecustomize.py or 'python -m tracers run')."
    )


def _has_probe_sites(source: "Optional[bytes]") -> bool:
    if source is None:
        return True
    import ast

    from ._transform import rewrite

    try:
        return rewrite(ast.parse(source), enabled=False).sites > 0
    except (SyntaxError, ValueError, RecursionError):
        return True
