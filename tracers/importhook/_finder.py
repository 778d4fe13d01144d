"""The meta-path finder and loader that rewrite probe sites at import time.

The finder sits just before the standard ``PathFinder`` and asks it for the
spec, so the file system is searched once.  Only plain source modules outside
the standard library and tracers itself get the rewriting loader; everything
else keeps the spec the standard machinery made.  Three kinds of module come
from elsewhere and are reached all the same:

- modules that a finder placed after ``PathFinder`` provides (setuptools'
  editable installs map a package's top level that way): when ``PathFinder``
  finds nothing, those finders are asked, in their order, here;
- modules whose loader is another tool's ``SourceFileLoader`` subclass
  (beartype.claw's path hook): composed with, see :mod:`._compose`;
- modules of finders that sit before this one (typeguard's import hook): the
  finder's class is adopted once its module is imported (``_AFTER_IMPORT``).
"""
import marshal
import os
import site  # imported at start-up already, unless python -S
import sys

# The standard loader's way of renaming cached code to where its source is now.
from _imp import _fix_co_filename  # type: ignore[attr-defined]  # not in typeshed

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
    from types import CodeType, ModuleType
    from typing import Callable, Dict, Iterable, Optional, Sequence
else:
    # importlib.machinery's classes, without importing the importlib package at start-up.
    from _frozen_importlib_external import PathFinder, SourceFileLoader

    CodeType = type((lambda: None).__code__)  # types.CodeType, without importing types

_PROBE_BYTES = b"probe"
_PROBE_NAME = "probe"  # every probe site loads it: ``probe`` (global) or ``<module>.probe``


class TracersLoader(SourceFileLoader):
    """A source loader whose code has the module's probe sites rewritten.

    A module without probe sites gets exactly what ``SourceFileLoader`` gives
    it, standard pyc included; only modules with probe sites get a tagged pyc.
    """

    def get_code(self, fullname: str) -> "Optional[CodeType]":
        from .. import _config  # when the first module is loaded, not when the hook is installed
        from . import _cache

        path = self.get_filename(fullname)
        try:
            stat = os.stat(path)
        except OSError:
            return super().get_code(fullname)
        # Fast path: the standard pyc is current and cannot hold a probe site
        # (marshal stores every distinct name's text at least once).
        standard_data = _cache.read(_cache.standard_path(path), stat)
        if standard_data is not None and _PROBE_BYTES not in standard_data:
            code: CodeType = marshal.loads(standard_data)
            _fix_co_filename(code, path)
            return code
        enabled = _config.current().enabled
        tagged_path = _cache.tagged_path(path, enabled)
        tagged = _loads(_cache.read(tagged_path, stat), path)
        if tagged is not None:
            return tagged
        standard = _loads(standard_data, path)
        if standard is not None and not _names_probe(standard):
            return standard  # 'probe' appeared only as text, not as a name
        source = self.get_data(path)
        if not might_have_probe_sites(source):
            return super().get_code(fullname)
        # Parsing and rewriting are loaded only when something must be compiled.
        from ._compile import compile_counting_sites

        code, sites = compile_counting_sites(source, path, enabled)
        if not sites and not _names_probe(code):
            # No probe site, and the fast path will know it from the standard pyc.
            return super().get_code(fullname)
        _cache.write(tagged_path, code, stat)
        return code


def compile_main(source: bytes, path: str) -> "CodeType":
    """The code of a script run as ``__main__``, its probe sites rewritten.

    The rewritten code is cached like a module's (a tagged pyc beside the
    script), so that a program started again loads neither the parser nor
    the compiler.  Python compiles ``__main__`` at every run, so its compile
    warnings come out each time: a script whose compiling gives any is not
    cached, and is compiled (twice: once to find them, once to give them as
    the warning filters in force say) at every run.
    """
    from .. import _config
    from . import _cache

    enabled = _config.current().enabled
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    tagged_path = _cache.tagged_path(path, enabled) if stat is not None else None
    cached = _loads(_cache.read(tagged_path, stat), path) if stat is not None else None
    if cached is not None:
        return cached  # this very source compiled with no error and no warning
    import warnings

    from ._compile import compile_counting_sites

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, sites = compile_counting_sites(source, path, enabled)
    if caught:  # compiled again, for the warnings as the filters in force give them, at every run
        return compile_counting_sites(source, path, enabled)[0]
    if sites and stat is not None:
        _cache.write(tagged_path, code, stat)
    return code


def might_have_probe_sites(source: bytes) -> bool:
    """``_transform.uses_probe``: whether ``source`` may hold a probe site, told
    without importing the parser (which every start-up would pay for)."""
    return b"tracers" in source and _PROBE_BYTES in source


def _loads(data: "Optional[bytes]", path: str) -> "Optional[CodeType]":
    """Unmarshal cached code; a damaged cache file counts as missing.

    Code read from a cache names the source by the path it was compiled
    from; as the standard loader does, it is renamed to where the source is
    now (a tree copied with its timestamps, moved, or reached through a link).
    """
    if data is None:
        return None
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError, SystemError):
        return None
    if not isinstance(code, CodeType):
        return None
    _fix_co_filename(code, path)
    return code


def _names_probe(code: "CodeType") -> bool:
    """Whether ``code`` or any code nested in it uses the name ``probe``."""
    if _PROBE_NAME in code.co_names:
        return True
    return any(isinstance(const, CodeType) and _names_probe(const) for const in code.co_consts)


class _PatchingLoader(SourceFileLoader):
    """The standard loader, followed by a patch that lets tracers reach the
    modules that the loaded module's own machinery loads."""

    def __init__(self, fullname: str, path: str, patch: "Callable[[ModuleType], None]") -> None:
        super().__init__(fullname, path)
        self._patch = patch

    def exec_module(self, module: "ModuleType") -> None:
        super().exec_module(module)
        _apply(self._patch, module)


def _apply(patch: "Callable[[ModuleType], None]", module: "ModuleType") -> None:
    try:
        patch(module)
    except Exception as problem:  # an unknown version of that tool: its modules go unrewritten
        from .. import _report
        _report.warn(f"tracers: modules loaded through {module.__name__} will not be rewritten: {problem!r}")


def _adopt_typeguard(module: "ModuleType") -> None:
    from ._compose import adopt_finder_class
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
        self._stdlib: tuple[str, ...] = ()
        self._sites: tuple[str, ...] = ()
        if self.packages is None:
            self._find_stdlib()

    def include(self, packages: "Optional[Iterable[str]]") -> bool:
        """Widen the scope to more packages, or to every module (``None``); True if it grew."""
        if self.packages is None:
            return False
        if packages is None:
            self._find_stdlib()
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
                spec.loader = _PatchingLoader(fullname, spec.origin, _AFTER_IMPORT[fullname])
            return spec
        if type(loader) is SourceFileLoader:
            if self._wanted(fullname, spec.origin):
                spec.loader = TracersLoader(fullname, spec.origin)  # type: ignore[arg-type]
            return spec
        return self.adopt(fullname, spec)

    def adopt(self, fullname: str, spec: "ModuleSpec") -> "ModuleSpec":
        """Rewrite ``spec``'s module in the way its loader allows (another finder found it)."""
        loader = spec.loader
        if type(loader) is SourceFileLoader:
            if self._wanted(fullname, spec.origin):
                spec.loader = TracersLoader(fullname, spec.origin)  # type: ignore[arg-type]
        elif (isinstance(loader, SourceFileLoader) and not isinstance(loader, (TracersLoader, _PatchingLoader))
              and self._wanted(fullname, spec.origin)):
            from ._compose import compose
            compose(loader)
        return spec

    def invalidate_caches(self) -> None:
        """PathFinder, still on sys.meta_path, clears its own caches."""

    def _find_stdlib(self) -> None:
        stdlib, sites = _standard_paths()
        self._stdlib = _directories(stdlib)
        self._sites = _directories(sites)

    def _wanted(self, fullname: str, origin: "Optional[str]") -> bool:
        if origin is None or fullname == "tracers" or fullname.startswith("tracers."):
            return False
        if self.packages is not None:
            return True  # named by its own package
        return not self.in_standard_library(origin)

    def in_standard_library(self, path: object) -> bool:
        """Whether ``path`` is a file of the standard library, which a global hook leaves alone."""
        return isinstance(path, str) and path.startswith(self._stdlib) and not path.startswith(self._sites)


def _in_packages(fullname: str, packages: "frozenset[str]") -> bool:
    """Whether module ``fullname`` is one of ``packages`` or inside one of them."""
    end = fullname.find(".")
    while end != -1:
        if fullname[:end] in packages:
            return True
        end = fullname.find(".", end + 1)
    return fullname in packages


def _from_later_finders(
    fullname: str, path: "Optional[Sequence[str]]", target: "Optional[ModuleType]"
) -> "Optional[ModuleSpec]":
    """The spec that the finders after ``PathFinder`` give, in their order, as
    the import system would ask them next."""
    finders = list(sys.meta_path)
    try:
        start = finders.index(PathFinder) + 1
    except ValueError:
        return None
    for finder in finders[start:]:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None:
            spec: Optional[ModuleSpec] = find_spec(fullname, path, target)
            if spec is not None:
                return spec
    return None


def _directories(paths: "Iterable[str]") -> "tuple[str, ...]":
    """Prefixes that match files inside ``paths``, as given and with links resolved."""
    found = set()
    for path in set(paths):
        found.add(os.path.join(path, ""))
        found.add(os.path.join(os.path.realpath(path), ""))
    return tuple(sorted(found))


def _standard_paths() -> "tuple[list[str], list[str]]":
    """The standard library's directories, and the site directories (which may lie inside them).

    On POSIX, what ``sysconfig.get_paths()`` gives for ``stdlib``, ``platstdlib``,
    ``purelib`` and ``platlib``, computed as its default scheme does, plus the
    directory of ``os`` itself and ``site.getsitepackages()`` (a distribution's
    own site directories): importing ``sysconfig`` and its configuration data
    would cost every start-up more than the rest of the hook.
    """
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
