"""The loaders the finder gives modules: imported with the first one, not as the hook is installed.

A module whose standard pyc is current and names no ``probe`` is loaded from
that pyc, as the standard loader would, without importing anything of the
``tracers`` package: most processes on a machine with the hook in
``sitecustomize.py`` import modules outside the standard library, and few of
those hold a probe site. The rest goes to ``tracers.importhook._cache``.
"""
import io
import marshal
import os

# The standard loader's way of renaming cached code to where its source is now.
from _imp import _fix_co_filename  # type: ignore[attr-defined]  # not in typeshed

# importlib.machinery's names, without importing the importlib package.
from _frozen_importlib_external import MAGIC_NUMBER, SourceFileLoader

from . import _apply, _standard_cache_from_source

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing; type checkers know the name
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Callable, Optional

_PROBE_BYTES = b"probe"  # marshal stores every distinct name's text at least once
_HEADER = 16  # magic, flags, source mtime, source size


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
        standard_data = read_pyc(pyc_path(path), stat)
        if standard_data is not None and _PROBE_BYTES not in standard_data:
            code: CodeType = marshal.loads(standard_data)
            _fix_co_filename(code, path)
            return code
        global _rewritten
        if _rewritten is None:
            from tracers.importhook import _cache

            _rewritten = _cache
        rewritten: Optional[CodeType] = _rewritten.module_code(self, fullname, path, stat, standard_data)
        if rewritten is None:  # no probe site: the standard code, through the classes after this one
            return super().get_code(fullname)
        return rewritten


# ``tracers.importhook._cache``, imported with the first module that may hold a probe site, and
# kept here after that: an import statement in get_code would make each such module pass through
# the import system.
_rewritten: "Optional[ModuleType]" = None


class _PatchingLoader(SourceFileLoader):
    """The standard loader, followed by a patch that lets tracers reach the
    modules that the loaded module's own machinery loads."""

    def __init__(self, fullname: str, path: str, patch: "Callable[[ModuleType], None]") -> None:
        super().__init__(fullname, path)
        self._patch = patch

    def exec_module(self, module: "ModuleType") -> None:
        super().exec_module(module)
        _apply(self._patch, module)


def pyc_path(source_path: str, optimization: "Optional[str]" = None) -> "Optional[str]":
    """The pyc file of ``source_path`` with that optimisation tag, by default the one the standard
    import system would use (honours pycache_prefix)."""
    try:
        return _standard_cache_from_source(source_path, optimization=optimization)
    except NotImplementedError:  # no cache_tag on this implementation
        return None


def read_pyc(pyc_path: "Optional[str]", source_stat: "os.stat_result") -> "Optional[bytes]":
    """The marshalled code in ``pyc_path`` if it matches the source, else None.

    Only timestamp pycs are accepted; anything else is treated as stale.
    """
    if pyc_path is None:
        return None
    try:
        with io.FileIO(pyc_path, "r") as file:  # unbuffered: one read, less overhead than open()
            data = file.readall()
    except OSError:
        return None
    if len(data) < _HEADER or data[:4] != MAGIC_NUMBER or data[4:8] != b"\0\0\0\0":
        return None
    if data[8:16] != source_stamp(source_stat):
        return None
    return data[_HEADER:]


def source_stamp(source_stat: "os.stat_result") -> bytes:
    """The pyc header's record of its source: modification time and size."""
    mtime = int(source_stat.st_mtime) & 0xFFFFFFFF
    size = source_stat.st_size & 0xFFFFFFFF
    return mtime.to_bytes(4, "little") + size.to_bytes(4, "little")
