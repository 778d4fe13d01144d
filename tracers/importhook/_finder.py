"""The meta-path finder and loader that rewrite probe sites at import time.

The finder sits just before the standard ``PathFinder`` and asks it for the
spec, so the file system is searched once.  Only plain source modules outside
the standard library and tracers itself get the rewriting loader; everything
else keeps the spec the standard machinery made.
"""
from __future__ import annotations

import marshal
import os
import site
import sys
import sysconfig
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType, ModuleType
from typing import Iterable, Optional, Sequence

from .. import _config
from . import _cache
from ._compile import compile_rewritten
from ._transform import uses_probe

_MARKER = b"tracers"  # every module that can fire through the hook names the package


class TracersLoader(SourceFileLoader):
    """A source loader whose code has the module's probe sites rewritten."""

    def get_code(self, fullname: str) -> Optional[CodeType]:
        path = self.get_filename(fullname)
        try:
            stat = os.stat(path)
        except OSError:
            return super().get_code(fullname)
        # Fast path: the standard pyc is current and cannot contain a probe site.
        standard = _cache.read(_cache.standard_path(path), stat)
        if standard is not None and _MARKER not in standard:
            return marshal.loads(standard)
        enabled = _config.current().enabled
        tagged_path = _cache.tagged_path(path, enabled)
        tagged = _cache.read(tagged_path, stat)
        if tagged is not None:
            return marshal.loads(tagged)
        source = self.get_data(path)
        if not uses_probe(source):
            return super().get_code(fullname)
        code = compile_rewritten(source, path, enabled)
        _cache.write(tagged_path, code, stat)
        return code


class TracersFinder(MetaPathFinder):
    """Hands rewritable source modules to :class:`TracersLoader`."""

    def __init__(self) -> None:
        paths = sysconfig.get_paths()
        self._stdlib = _directories(paths[k] for k in ("stdlib", "platstdlib"))
        self._sites = _directories(_site_dirs())

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]] = None, target: Optional[ModuleType] = None
    ) -> Optional[ModuleSpec]:
        spec = PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or not self._wanted(fullname, spec.origin):
            return spec
        spec.loader = TracersLoader(fullname, spec.origin)  # type: ignore[arg-type]
        return spec

    def invalidate_caches(self) -> None:
        """PathFinder, still on sys.meta_path, clears its own caches."""

    def _wanted(self, fullname: str, origin: Optional[str]) -> bool:
        if origin is None or fullname == "tracers" or fullname.startswith("tracers."):
            return False
        in_stdlib = origin.startswith(self._stdlib) and not origin.startswith(self._sites)
        return not in_stdlib


def _directories(paths: Iterable[str]) -> tuple[str, ...]:
    """Prefixes that match files inside ``paths``, as given and with links resolved."""
    found = set()
    for path in paths:
        found.add(os.path.join(path, ""))
        found.add(os.path.join(os.path.realpath(path), ""))
    return tuple(sorted(found))


def _site_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    found = [paths["purelib"], paths["platlib"]]
    getsitepackages = getattr(site, "getsitepackages", None)  # missing in old virtualenvs
    if getsitepackages is not None:
        found += getsitepackages()
    return found
