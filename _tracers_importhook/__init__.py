"""The import hook's finder: rewrite ``probe(...)`` statements as modules are imported.

``tracers.importhook`` is its public name. This package lies outside the
``tracers`` package so that a ``sitecustomize.py`` can install the hook
without importing that one: every Python start-up pays for what it imports.
``python -m tracers sitecustomize`` prints the two lines::

    import _tracers_importhook
    _tracers_importhook.install()

``import tracers.importhook; tracers.importhook.install()`` installs the same
finder.
"""
# How it works, in comments rather than docstrings: every process that installs
# the hook loads this module's code, docstrings included. So it holds what
# installing needs (the finder) and nothing more: its loader (``_loader``) is
# imported with the first module it is given, and the rewriting in the ``tracers``
# package (``tracers.importhook._cache``) with the first module that may hold a probe site.
#
# The finder sits just before the standard ``PathFinder`` and asks it for the
# spec, so the file system is searched once.  Only plain source modules outside
# the standard library and tracers itself get the rewriting loader; everything
# else keeps the spec the standard machinery made.  Three kinds of module come
# from elsewhere and are reached all the same:
#
# - modules that a finder placed after ``PathFinder`` provides (setuptools'
#   editable installs map a package's top level that way): when ``PathFinder``
#   finds nothing, those finders are asked, in their order, here;
# - modules whose loader is another tool's ``SourceFileLoader`` subclass
#   (beartype.claw's path hook): composed with, see ``tracers.importhook._compose``;
# - modules of finders that sit before this one (typeguard's import hook): the
#   finder's class is adopted once its module is imported (``_AFTER_IMPORT``).
import os
import site  # imported at start-up already, unless python -S
import sys
from _thread import allocate_lock

# importlib's own modules, without importing the importlib package at start-up.
import _frozen_importlib_external as _bootstrap_external
from _frozen_importlib_external import PathFinder, SourceFileLoader

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType, TracebackType
    from typing import Callable, Dict, Iterable, Optional, Sequence

    from ._loader import TracersLoader

__all__ = ["install", "uninstall", "installed", "startup", "TracersFinder", "ENV_HOOK"]

# The standard import system's own function, bound now, before another tool can swap it
# for its own variant while it loads a module; _loader (imported later) uses it.
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
        from tracers import _config  # not at every start-up: with neither variable set there is nothing to report

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
            import atexit  # compiled into Python, and imported by its start-up already

            # Only as the last exit handler: one registered before runs after it, and may import.
            if getattr(atexit, "_ncallbacks", lambda: 1)() == 0:
                atexit.register(_leave_meta_path, _installed_finder)
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
    from tracers.importhook._runner import rewrite_main_of_children
    rewrite_main_of_children(spawn)


def uninstall() -> None:
    """Remove the finder; modules already rewritten stay rewritten."""
    global _installed_finder
    with _lock:
        if _installed_finder is not None and _installed_finder in sys.meta_path:
            sys.meta_path.remove(_installed_finder)
        _installed_finder = None


def _leave_meta_path(finder: "TracersFinder") -> None:
    # The last exit handler (registered when no other was, as from
    # sitecustomize): with the finder gone, the interpreter's shutdown frees
    # this module and what it refers to (os, site) at once, rather than
    # keeping them through its later collections (about a tenth of what
    # installing costs every process, on 3.11). A module imported after the
    # exit handlers have run (by a finalizer the shutdown's collection
    # calls) loads unrewritten, as without the hook: its probes run through
    # the fallback, which says nothing of it while the interpreter finalizes.
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)


def installed() -> bool:
    """Whether the hook is active in this process."""
    return _installed_finder is not None and _installed_finder in sys.meta_path


def _path_finder_index() -> int:
    for index, finder in enumerate(sys.meta_path):
        if finder is PathFinder:
            return index
    return len(sys.meta_path)


def _warn_about_earlier_imports(packages: "Optional[Sequence[str]]", finder: "TracersFinder") -> None:
    # Name each module with probe sites imported before the hook (in ``packages``: their
    # submodules), in ``_earlier``. Before any module has bound ``probe`` (which imports
    # ``tracers._fire``) or declared a provider (``tracers._provider``), as at start-up, there
    # is nothing to look for. (A module whose sites name a provider not declared yet is named by
    # the fallback's own warning when tracing is on.)
    fire = sys.modules.get("tracers._fire")
    if fire is None and "tracers._provider" not in sys.modules:
        return
    from tracers.importhook._earlier import warn_about_earlier_imports

    warn_about_earlier_imports(packages, finder, fire)


def might_have_probe_sites(source: bytes) -> bool:
    """``_transform.uses_probe``: whether ``source`` may hold a probe site, told
    without importing the parser (which every start-up would pay for)."""
    return b"tracers" in source and b"probe" in source


def _apply(patch: "Callable[[ModuleType], None]", module: "ModuleType") -> None:
    try:
        patch(module)
    except Exception as problem:  # an unknown version of that tool: its modules go unrewritten
        from tracers import _report
        _report.warn(f"tracers: modules loaded through {module.__name__} will not be rewritten: {problem!r}")


def _adopt_typeguard(module: "ModuleType") -> None:
    from tracers.importhook._compose import adopt_finder_class
    adopt_finder_class(getattr(module, "TypeguardFinder"))


# Modules whose loaders or finders, once imported, must be taught about tracers.
_AFTER_IMPORT: "Dict[str, Callable[[ModuleType], None]]" = {"typeguard._importhook": _adopt_typeguard}


def patch_after_import(name: str, patch: "Callable[[ModuleType], None]") -> None:
    """Run ``patch`` on module ``name`` once it is imported (now, if it already is)."""
    _AFTER_IMPORT[name] = patch
    module = sys.modules.get(name)
    if module is not None:
        _apply(patch, module)


def patch_imported() -> None:
    """Patch the modules of ``_AFTER_IMPORT`` imported before the hook was installed."""
    for name, patch in list(_AFTER_IMPORT.items()):
        module = sys.modules.get(name)
        if module is not None:
            _apply(patch, module)


class TracersFinder:
    """Hands rewritable source modules to :class:`TracersLoader`.

    ``packages`` limits it to those packages and their submodules (a library
    that rewrites only its own modules); ``None`` means every module outside
    the standard library.
    """

    def __init__(self, packages: "Optional[Iterable[str]]" = None) -> None:
        self.packages: Optional[frozenset[str]] = None if packages is None else frozenset(packages)
        # The standard library's directories and the site directories, found when first asked:
        # a process that imports nothing more after start-up never pays for them.
        self._standard: "Optional[tuple[tuple[str, ...], tuple[str, ...]]]" = None

    def include(self, packages: "Optional[Iterable[str]]") -> bool:
        """Widen the scope to more packages, or to every module (``None``); True if it grew."""
        if self.packages is None:
            return False
        if packages is None:
            self.packages = None
            return True
        wider = self.packages.union(packages)
        grew = wider != self.packages
        self.packages = wider  # replaced, never mutated: find_spec may be running in another thread
        return grew

    def find_spec(
        self, fullname: str, path: "Optional[Sequence[str]]" = None, target: "Optional[ModuleType]" = None
    ) -> "Optional[ModuleSpec]":
        packages = self.packages
        if packages is not None and not _in_packages(fullname, packages):
            return None  # out of scope: the standard finders that follow handle it
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None:
            spec = _from_later_finders(fullname, path, target)
            if spec is None:
                return None
        loader = spec.loader
        if fullname in _AFTER_IMPORT:
            if type(loader) is SourceFileLoader and spec.origin is not None:
                from ._loader import _PatchingLoader

                spec.loader = _PatchingLoader(fullname, spec.origin, _AFTER_IMPORT[fullname])
            return spec
        if type(loader) is SourceFileLoader:
            if self._wanted(fullname, spec.origin):
                spec.loader = _rewriting_loader(fullname, spec.origin)  # type: ignore[arg-type]
            return spec
        return self.adopt(fullname, spec)

    def adopt(self, fullname: str, spec: "ModuleSpec") -> "ModuleSpec":
        """Rewrite ``spec``'s module in the way its loader allows (another finder found it)."""
        loader = spec.loader
        if type(loader) is SourceFileLoader:
            if self._wanted(fullname, spec.origin):
                spec.loader = _rewriting_loader(fullname, spec.origin)  # type: ignore[arg-type]
        elif isinstance(loader, SourceFileLoader) and not _ours(loader) and self._wanted(fullname, spec.origin):
            from tracers.importhook._compose import compose
            compose(loader)
        return spec

    def invalidate_caches(self) -> None:
        """PathFinder, still on sys.meta_path, clears its own caches."""

    def _wanted(self, fullname: str, origin: "Optional[str]") -> bool:
        if (origin is None or fullname in ("tracers", "_tracers_importhook")
                or fullname.startswith(("tracers.", "_tracers_importhook."))):
            return False  # tracers' own modules, and this package's (its loader's module among them)
        if self.packages is not None:
            return True  # named by its own package
        return not self.in_standard_library(origin)

    def in_standard_library(self, path: object) -> bool:
        """Whether ``path`` is a file of the standard library, which a global hook leaves alone."""
        if not isinstance(path, str):
            return False
        standard = self._standard
        if standard is None:
            if path.rpartition(os.sep)[0] == _OS_DIRECTORY:  # as linecache, which python -c imports on 3.13
                return True
            standard = self._standard = _standard_directories()  # two threads may both: the same tuples
        stdlib, sites = standard
        return path.startswith(stdlib) and not path.startswith(sites)


# The directory of ``os``: a module file directly inside it is the standard library's, told without
# finding all of the standard library's directories (site directories lie deeper).
_OS_DIRECTORY = (getattr(os, "__file__", None) or "").rpartition(os.sep)[0] or None

_loader_class: "Optional[type[TracersLoader]]" = None


def _rewriting_loader(fullname: str, origin: str) -> "TracersLoader":
    # A TracersLoader; its module is imported with the first one. Kept here after that: an
    # import statement would cost each module a pass through the import system.
    global _loader_class
    if _loader_class is None:
        from ._loader import TracersLoader

        _loader_class = TracersLoader
    return _loader_class(fullname, origin)


def _ours(loader: object) -> bool:
    # Whether ``loader`` is one of tracers' own (none exists before ``_loader`` is imported).
    module = sys.modules.get("_tracers_importhook._loader")
    return module is not None and isinstance(loader, (module.TracersLoader, module._PatchingLoader))


def _in_packages(fullname: str, packages: "frozenset[str]") -> bool:
    # Whether module ``fullname`` is one of ``packages`` or inside one of them.
    end = fullname.find(".")
    while end != -1:
        if fullname[:end] in packages:
            return True
        end = fullname.find(".", end + 1)
    return fullname in packages


def _from_later_finders(
    fullname: str, path: "Optional[Sequence[str]]", target: "Optional[ModuleType]"
) -> "Optional[ModuleSpec]":
    # The spec that the finders after ``PathFinder`` give, in their order, as
    # the import system would ask them next.
    finders = list(sys.meta_path)
    try:
        start = finders.index(PathFinder) + 1
    except ValueError:
        return None
    for finder in finders[start:]:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None and not isinstance(finder, TracersFinder):  # moved there by another tool
            spec: Optional[ModuleSpec] = find_spec(fullname, path, target)
            if spec is not None:
                return spec
    return None


def _standard_directories() -> "tuple[tuple[str, ...], tuple[str, ...]]":
    # Prefixes of the standard library's files, and of the site directories' (which may lie inside).
    stdlib, sites = _standard_paths()
    real = _real_paths(stdlib + sites)
    return _directories(stdlib, real), _directories(sites, real)


def _directories(paths: "Iterable[str]", real: "Dict[str, str]") -> "tuple[str, ...]":
    # Prefixes that match files inside ``paths``, as given and with links resolved (``real``).
    found = set()
    for path in paths:
        found.add(os.path.join(path, ""))
        found.add(os.path.join(real[path], ""))
    return tuple(sorted(found))


def _real_paths(paths: "Iterable[str]") -> "Dict[str, str]":
    # ``os.path.realpath`` of each path, each directory resolved once by the kernel where it can.
    #
    # ``os.path.realpath`` checks every component of a path for a link, one
    # system call and some Python each: a directory opened with ``O_PATH`` is
    # named, resolved, by its ``/proc/self/fd`` entry, and a directory inside
    # one resolved already needs one check of its own name.
    real: "Dict[str, str]" = {}
    for path in sorted(set(paths), key=len):  # parents first
        parent, name = os.path.split(path)
        if parent in real and name not in ("", ".", "..") and not os.path.islink(path):
            real[path] = os.path.join(real[parent], name)  # inside a directory resolved already
            continue
        try:
            fd = os.open(path, _O_PATH_DIRECTORY)
        except (OSError, AttributeError):  # missing, not a directory, not Linux
            real[path] = os.path.realpath(path)
            continue
        try:
            resolved = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # no /proc
            resolved = os.path.realpath(path)
        finally:
            os.close(fd)
        real[path] = resolved if os.path.isabs(resolved) else os.path.realpath(path)
    return real


_O_PATH_DIRECTORY = getattr(os, "O_PATH", 0) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _standard_paths() -> "tuple[list[str], list[str]]":
    # The standard library's directories, and the site directories (which may lie inside them).
    #
    # On POSIX, what ``sysconfig.get_paths()`` gives for ``stdlib``, ``platstdlib``,
    # ``purelib`` and ``platlib``, computed as its default scheme does, plus the
    # directory of ``os`` itself and ``site.getsitepackages()`` (a distribution's
    # own site directories): importing ``sysconfig`` and its configuration data
    # would cost every start-up more than the rest of the hook.
    getsitepackages = getattr(site, "getsitepackages", None)  # missing in old virtualenvs
    distribution_sites = list(getsitepackages()) if getsitepackages is not None else []
    if os.name != "posix":
        import sysconfig

        paths = sysconfig.get_paths()
        return [paths["stdlib"], paths["platstdlib"]], [paths["purelib"], paths["platlib"]] + distribution_sites
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}{'t' if 't' in sys.abiflags else ''}"
    stdlib = [os.path.join(sys.base_prefix, sys.platlibdir, version),
              os.path.join(sys.exec_prefix, sys.platlibdir, version)]
    if getattr(os, "__file__", None):
        stdlib.append(os.path.dirname(os.__file__))
    sites = [os.path.join(sys.prefix, "lib", version, "site-packages"),
             os.path.join(sys.exec_prefix, sys.platlibdir, version, "site-packages")]
    return stdlib, sites + distribution_sites
