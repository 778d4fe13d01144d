"""The loader that compiles a module with its probe sites rewritten, and caches the code.

The finder (the package's ``TracersFinder``) hands it the plain source
modules outside the standard library; it is imported with the first of them,
not as the hook is installed.  ``compile_main`` does the same for the script
that ``python -m tracers run`` starts as ``__main__``.
"""
import marshal
import os

# The standard loader's way of renaming cached code to where its source is now.
from _imp import _fix_co_filename  # type: ignore[attr-defined]  # not in typeshed

from _tracers_importhook import _apply, might_have_probe_sites

from . import _cache

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from importlib.machinery import SourceFileLoader
    from types import CodeType, ModuleType
    from typing import Callable, Optional
else:
    # importlib.machinery's class, without importing the importlib package.
    from _frozen_importlib_external import SourceFileLoader

    CodeType = type((lambda: None).__code__)  # types.CodeType, without importing types

_PROBE_BYTES = b"probe"
_PROBE_NAME = "probe"  # every probe site loads it: ``probe`` (global) or ``<module>.probe``


class TracersLoader(SourceFileLoader):
    """A source loader whose code has the module's probe sites rewritten.

    A module without probe sites gets exactly what ``SourceFileLoader`` gives
    it, standard pyc included; only modules with probe sites get a tagged pyc.
    """

    def get_code(self, fullname: str) -> "Optional[CodeType]":
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
        enabled = _tracing_on()
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
    enabled = _tracing_on()
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


# ``tracers._config``, imported with the first module that may hold a probe site: a process whose
# modules hold none (their standard pyc names no ``probe``) never reads the mode, nor imports what
# the mode's record needs. Kept here after that: an import statement in get_code would make each
# such module resolve a relative name and run importlib's handling of a package's from-list.
_config: "Optional[ModuleType]" = None


def _tracing_on() -> bool:
    """Whether the mode compiles probe sites in (it is read once per process, by ``_config``)."""
    global _config
    if _config is None:
        from .. import _config as config

        _config = config
    enabled: bool = _config.current().enabled
    return enabled


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
