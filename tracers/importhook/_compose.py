"""Composing with other tools' source loaders (beartype.claw, typeguard, ...).

Such a loader is a ``SourceFileLoader`` subclass that parses a module,
transforms its tree and compiles it.  tracers keeps it, and swaps its class
for a subclass that, for a module with probe sites only:

- bypasses the tool's bytecode cache, which cannot tell tracing modes apart
  (the module is compiled at every import);
- rewrites the probe sites in the tree the tool compiles, by standing in for
  ``compile`` in the module that defines the tool's ``source_to_code`` (the
  stand-in is the builtin for every other call), or in the source it hands
  to the standard ``source_to_code`` (a mixin placed just before
  ``SourceFileLoader`` in the class's order).

A tool that compiles in a way this cannot reach gets one warning naming the
module; its probes then run through the runtime fallback, as without the hook.
Imported only when such a loader is met.
"""
from __future__ import annotations

import builtins
import os
import threading
from importlib.machinery import ModuleSpec, SourceFileLoader
from types import CodeType, ModuleType
from typing import Any, Dict, Optional, Sequence

from .. import _config, _report

_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing ast
_composed: Dict[type, type] = {}
_compiling = threading.local()  # .path: the module source this thread rewrites; .reached: whether compile saw it


class _Composed(SourceFileLoader):
    """Mixed in before the tool's loader class."""

    def get_code(self, fullname: str) -> Optional[CodeType]:
        path = self.get_filename(fullname)
        if not _has_probe_sites(self, path):
            return super().get_code(fullname)
        outer = getattr(_compiling, "path", None), getattr(_compiling, "reached", False)
        _compiling.path, _compiling.reached = path, False
        try:
            code = super().get_code(fullname)
            reached = _compiling.reached
        finally:
            _compiling.path, _compiling.reached = outer
        if not reached:
            tool = type(self).__mro__[2]  # after the composed class and _Composed
            _report.warn_once(
                f"tracers: module {fullname!r} is compiled by {tool.__module__}.{tool.__qualname__} in a way "
                f"tracers cannot reach; its probe() calls are not rewritten and run through the slower fallback")
        return code

    def path_stats(self, path: str) -> Any:
        if getattr(_compiling, "path", None) == path:
            raise OSError("compiled afresh: the tool's cache cannot tell tracing modes apart")
        return super().path_stats(path)


class _Standard(SourceFileLoader):
    """Mixed in just before ``SourceFileLoader``: where the tool compiles as the
    standard loader does (its own class or ``super().source_to_code``)."""

    def source_to_code(self, data: Any, path: Any, *args: Any, **kwargs: Any) -> CodeType:  # type: ignore[override]
        if _is_target(path):
            return _compile_rewritten(data, path)
        return super().source_to_code(data, path, *args, **kwargs)


def compose(loader: SourceFileLoader) -> None:
    """Make ``loader`` (an instance of another tool's subclass) rewrite probe sites."""
    cls = type(loader)
    try:
        composed = _composed.get(cls)
        if composed is None:
            _stand_in_for_compile(cls)
            composed = _composed[cls] = type(cls.__name__, (_Composed, cls, _Standard), {
                "__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__})
        loader.__class__ = composed
    except TypeError as problem:  # a class hierarchy or layout tracers cannot mix into
        _report.warn_once(f"tracers: modules loaded by {cls.__module__}.{cls.__qualname__} "
                          f"are not rewritten: {problem}")


def adopt_finder_class(cls: type) -> None:
    """Let tracers rewrite what a finder that sits before its own finds (typeguard's)."""
    original = cls.__dict__["find_spec"]
    if getattr(original, "__tracers_adopted__", False):
        return

    def find_spec(self: Any, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[ModuleSpec]:
        spec: Optional[ModuleSpec] = original(self, fullname, path, target)
        finder = _active_finder()
        return spec if spec is None or finder is None else finder.adopt(fullname, spec)

    find_spec.__tracers_adopted__ = True  # type: ignore[attr-defined]
    find_spec.__wrapped__ = original  # type: ignore[attr-defined]
    find_spec.__doc__ = original.__doc__
    setattr(cls, "find_spec", find_spec)


def _active_finder() -> Any:
    from _tracers_importhook import _installed_finder, installed
    return _installed_finder if installed() else None


def _has_probe_sites(loader: SourceFileLoader, path: str) -> bool:
    try:
        source = loader.get_data(path)
    except OSError:
        return False
    if b"probe" not in source:
        return False
    from ._transform import uses_probe
    return bool(uses_probe(source))


def _stand_in_for_compile(cls: type) -> None:
    function = getattr(cls, "source_to_code")
    if function is SourceFileLoader.source_to_code:
        return
    namespace = getattr(function, "__globals__", None)
    if isinstance(namespace, dict) and namespace.get("compile", _compile) is _compile:
        namespace["compile"] = _compile


def _compile(source: Any, filename: Any, mode: str, flags: int = 0, dont_inherit: bool = False,
             optimize: int = -1, **kwargs: Any) -> Any:
    """``compile``, except for the module being rewritten: its tree gets its probe sites rewritten."""
    if mode != "exec" or flags & _ONLY_AST or not _is_target(filename):
        return builtins.compile(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
    return _compile_rewritten(source, filename)


def _is_target(filename: Any) -> bool:
    path = getattr(_compiling, "path", None)
    if path is None:
        return False
    try:
        return bool(os.fsdecode(filename) == path)
    except TypeError:  # a buffer: not a file name tracers gave
        return False


def _compile_rewritten(source: Any, filename: Any) -> CodeType:
    from ._compile import compile_rewritten
    _compiling.reached = True
    return compile_rewritten(source, os.fsdecode(filename), _config.current().enabled)
