"""``python -m tracers compile``: write the rewritten bytecode of modules with probe sites ahead of time.

The hook caches a module's rewritten code in a tagged pyc beside the
standard one, written by the first process that imports the module in each
tracing mode.  A process that cannot write the module's ``__pycache__`` (a
service running as its own user, over code root installed) finds no cache
and parses, rewrites and compiles every module with probe sites at every
start.  This command writes those files once, as ``compileall`` (and pip)
write the standard ones, for the modes asked (both by default).
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Iterator, Sequence

from _tracers_importhook import might_have_probe_sites

from ..importhook._cache import rewritten_code, tagged_path, write_file
from ._target import TargetError, resolve

_MODES = {"off": (False,), "on": (True,), "both": (False, True)}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="+", metavar="TARGET",
                        help="a .py file, a directory (searched recursively) or a dotted module or package name")
    parser.add_argument("--mode", choices=sorted(_MODES), default="both",
                        help="the tracing modes to write bytecode for (default: both)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    parser.epilog = "The standard bytecode of every module is compileall's: python -m compileall DIR."


def main(options: argparse.Namespace) -> int:
    return compile_targets(options.targets, _MODES[options.mode], options.quiet)


def compile_targets(targets: Sequence[str], modes: Sequence[bool], quiet: bool = False) -> int:
    """Write the tagged pycs of every module with probe sites under ``targets``, for ``modes``."""
    try:
        files = [path for target in targets for path in _sources(target)]
    except TargetError as error:
        print(f"tracers compile: {error}", file=sys.stderr)
        return 2
    written = plain = failed = 0
    for path in dict.fromkeys(files):  # each file once, in the order named
        try:
            has_sites = _compile_file(path, modes)
        except _Failed as problem:
            failed += 1
            print(f"tracers compile: {problem}", file=sys.stderr)
            continue
        if not has_sites:
            plain += 1
            continue
        written += 1
        if not quiet:
            print(f"compiled {path}")
    names = " and ".join("on" if enabled else "off" for enabled in modes)
    print(f"tracers compile: {written} module(s) with probe sites written for tracing {names}; "
          f"{plain} without probe sites left to the standard bytecode; {failed} failed")
    return 1 if failed else 0


def _sources(target: str) -> Iterator[str]:
    """The ``.py`` files a target names: the file, or every one under the directory or package."""
    if os.path.isfile(target):
        if not target.endswith(".py"):
            raise TargetError(f"{target} is not a Python source file (.py)")
        yield os.path.abspath(target)
        return
    if not os.path.isdir(target):
        found = resolve(target)  # a dotted name
        if found.path is None:
            raise TargetError(f"{target!r} is a namespace package: name its directory")
        if not found.is_package:
            yield found.path
            return
        target = os.path.dirname(found.path)
    for directory, subdirectories, names in os.walk(os.path.abspath(target)):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__" and not d.startswith("."))
        yield from (os.path.join(directory, name) for name in sorted(names) if name.endswith(".py"))


class _Failed(Exception):
    """A file that could not be read, compiled or cached: the message says which and why."""


def _compile_file(path: str, modes: Sequence[bool]) -> bool:
    """Write the module's tagged pycs: whether it has probe sites (False: nothing to write)."""
    try:
        with open(path, "rb") as file:
            source = file.read()
        stat = os.stat(path)
    except OSError as error:
        raise _Failed(f"cannot read {path}: {error.strerror}") from None
    if not might_have_probe_sites(source):
        return False
    for number, enabled in enumerate(modes):
        with warnings.catch_warnings():
            if number:  # the source's own warnings were given with the first mode
                warnings.simplefilter("ignore")
            try:
                code = rewritten_code(source, path, enabled)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
                raise _Failed(_compile_error(path, error)) from None
        if code is None:
            return False
        cached = tagged_path(path, enabled)
        if cached is None:
            raise _Failed(f"this Python ({sys.implementation.name}) caches no bytecode")
        try:
            write_file(cached, code, stat)
        except OSError as error:
            raise _Failed(f"cannot write {cached} ({error.strerror}): run this command as a user who can "
                          f"write {os.path.dirname(cached)}") from None
    return True


def _compile_error(path: str, error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        place = f"{error.filename or path}:{error.lineno}" if error.lineno else path
        return f"{place}: {type(error).__name__}: {error.msg}"
    return f"{path}: {type(error).__name__}: {error}"

