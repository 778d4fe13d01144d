"""``python -m tracers show``: the source that really runs, for one mode."""
from __future__ import annotations

import argparse
import ast
import difflib
import os
import sys
import traceback
from typing import Optional

from .. import _config
from ..importhook import _deep
from ..importhook._compile import compile_module
from ._target import TargetError, resolve


def show(target: str, enabled: Optional[bool], diff: bool) -> int:
    """Print the rewritten source of a file or module (or a diff against it)."""
    path = _source_path(target)
    if path is None:
        print(f"tracers show: {target!r} is neither a file nor an importable module with Python source",
              file=sys.stderr)
        return 2
    if enabled is None:
        enabled = _config.from_environment().enabled  # a bad TRACERS is an error here (exit 2)
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
    """The source file a target names: a file as given, a package's __init__.py, or a module's file."""
    if os.path.isfile(target):
        return target
    try:
        path = resolve(target).path
    except TargetError:
        return None
    return path if path is not None and path.endswith(".py") and os.path.isfile(path) else None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="FILE_OR_MODULE",
                        help="a .py file, a package (its __init__.py) or a dotted module name")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--on", dest="enabled", action="store_const", const=True,
                      help="rewrite as with tracing on (default: the TRACERS setting)")
    mode.add_argument("--off", dest="enabled", action="store_const", const=False,
                      help="rewrite as with tracing off")
    parser.add_argument("--diff", action="store_true", help="print a unified diff against the original")
    parser.epilog = "exit status: 0 shown; 1 the source has a syntax error; 2 no such file or module, invalid TRACERS."


def main(options: argparse.Namespace) -> int:
    return show(options.target, options.enabled, options.diff)
