"""``python -m tracers show``: the source that really runs, for one mode."""
from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import sys
import traceback
from typing import Optional

from .. import _config
from ..importhook import _deep
from ..importhook._compile import compile_module


def show(target: str, enabled: Optional[bool], diff: bool) -> int:
    """Print the rewritten source of a file or module (or a diff against it)."""
    path = _source_path(target)
    if path is None:
        print(f"tracers show: {target!r} is neither a file nor an importable module with Python source",
              file=sys.stderr)
        return 2
    if enabled is None:
        enabled = _config.current().enabled
    with open(path, "rb") as file:
        source = file.read()
    try:
        compiled = compile_module(source, path, enabled)
    except (SyntaxError, RecursionError, MemoryError) as error:  # as python reports it, without our frames
        sys.stderr.writelines(traceback.format_exception_only(type(error), error))
        return 1
    rewritten = _unparse(compiled.tree if compiled.tree is not None else _parse(source, path))
    state = "on" if enabled else "off"
    if diff:
        original = _unparse(_parse(source, path))
        sys.stdout.writelines(difflib.unified_diff(
            original.splitlines(keepends=True), rewritten.splitlines(keepends=True),
            f"{path} (parsed)", f"{path} (tracing {state})"))
    else:
        sys.stdout.write(rewritten)
    print(f"tracers show: {path}: {compiled.sites} probe site(s), tracing {state}", file=sys.stderr)
    return 0


def _parse(source: bytes, path: str) -> ast.Module:
    return _deep.call(lambda: ast.parse(source, filename=path))


def _unparse(tree: ast.Module) -> str:
    """The tree as source text, however deeply it is nested (``ast.unparse`` recurses)."""
    return _deep.call(lambda: ast.unparse(tree), tree) + "\n"


def _source_path(target: str) -> Optional[str]:
    if os.path.isfile(target):
        return target
    try:
        spec = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        return None
    origin = spec.origin if spec is not None else None
    if origin and origin.endswith(".py") and os.path.isfile(origin):
        return origin
    return None
