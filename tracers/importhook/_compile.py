"""Source to code with probe sites rewritten for a mode.

Shared by the import hook, the ``run`` command (for ``__main__``) and
``show``. The source is first compiled as written, exactly as plain Python
compiles it, so that its errors (including those a deleted probe statement
would hide) and its warnings come out once and as without the hook. Only then
is it parsed and rewritten, with this file's compiler warnings silenced since
they were already given.
"""
from __future__ import annotations

import ast
from contextlib import contextmanager
from types import CodeType
from typing import Iterator, NamedTuple, Optional, Tuple, Union

from .._errors import ProbeSyntaxError
from . import _deep
from ._transform import RewriteResult, rewrite

Source = Union[bytes, str]


class Compiled(NamedTuple):
    """A module's code, and the rewritten tree it was compiled from."""

    code: CodeType
    tree: Optional[ast.Module]  # None: the source runs as written (no probe site, or see the warning)
    sites: int


def parse_and_rewrite(source: Source, path: str, enabled: bool) -> RewriteResult:
    """Parse ``source`` and rewrite its probe sites.

    A probe argument whose effect would reach outside the probe raises
    :class:`~tracers.ProbeSyntaxError` naming ``path`` and the line.
    """
    tree = _deep.call(lambda: ast.parse(source, filename=path))
    try:
        return rewrite(tree, enabled=enabled)
    except ProbeSyntaxError as error:
        refused = error
    raise _located(refused, source, path)  # outside the handler: no chained context


def compile_module(source: Source, path: str, enabled: bool) -> Compiled:
    """Compile ``source`` with its probe sites rewritten for the mode; errors as plain Python raises them."""
    plain = compile(source, path, "exec", dont_inherit=True)
    with _warnings_already_given(path):
        try:
            result = parse_and_rewrite(source, path, enabled)
        except ProbeSyntaxError:
            raise
        except (RecursionError, MemoryError) as error:  # plain Python compiled it: a limit of the ast module
            problem = _too_deep(error)
        else:
            if not result.sites:
                return Compiled(plain, None, 0)
            try:
                code = _deep.call(lambda: compile(result.tree, path, "exec", dont_inherit=True), result.tree)
            except (RecursionError, MemoryError) as error:
                problem = _too_deep(error)
            except (SyntaxError, ValueError, TypeError) as error:  # a fault of the rewrite: run as written
                problem = f"the rewritten module could not be compiled ({type(error).__name__}: {error})"
            else:
                return Compiled(code, result.tree, result.sites)
    _warn_unrewritten(path, problem)
    return Compiled(plain, None, 0)


def compile_counting_sites(source: Source, path: str, enabled: bool) -> Tuple[CodeType, int]:
    """:func:`compile_module`'s code and the number of probe sites rewritten."""
    compiled = compile_module(source, path, enabled)
    return compiled.code, compiled.sites


def compile_rewritten(source: Source, path: str, enabled: bool) -> CodeType:
    """Compile ``source`` with its probe sites rewritten for the mode."""
    return compile_module(source, path, enabled).code


def _located(error: ProbeSyntaxError, source: Source, path: str) -> ProbeSyntaxError:
    """Name the file and quote the line, with columns counted in characters as Python does."""
    if isinstance(source, bytes):
        from importlib.util import decode_source

        source = decode_source(source)
    lines = source.split("\n")

    def character_offset(line: Optional[int], byte_offset: Optional[int]) -> Optional[int]:
        if line is None or byte_offset is None or not 0 < line <= len(lines):
            return byte_offset
        return len(lines[line - 1].encode("utf-8")[:byte_offset - 1].decode("utf-8", "replace")) + 1

    error.filename = path
    if error.lineno is not None and 0 < error.lineno <= len(lines):
        error.text = lines[error.lineno - 1] + "\n"
    error.offset = character_offset(error.lineno, error.offset)
    end = character_offset(getattr(error, "end_lineno", None), getattr(error, "end_offset", None))
    setattr(error, "end_offset", end)  # noqa: B010 - an attribute of SyntaxError from 3.10 on
    return error.with_traceback(None)


class _ThisFile:
    """Matches the module name the warnings machinery derives from ``path`` (for compiler warnings)."""

    def __init__(self, path: str) -> None:
        self.name = path[:-3] if path.endswith(".py") else path

    def match(self, module: str) -> bool:
        return module == self.name


@contextmanager
def _warnings_already_given(path: str) -> Iterator[None]:
    """Silence the compiler's warnings about ``path`` alone: plain compilation gave them already.

    Warnings the program itself raises name a module, never a file path, so
    they are not affected, in this thread or another.
    """
    import warnings

    entry = ("ignore", None, Warning, _ThisFile(path), 0)
    warnings.filters.insert(0, entry)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        try:
            warnings.filters.remove(entry)  # type: ignore[attr-defined]
        except ValueError:  # the list was replaced meanwhile (catch_warnings elsewhere)
            pass


def _too_deep(error: BaseException) -> str:
    import sys

    version = "%d.%d" % sys.version_info[:2]
    return (f"this module is nested too deeply for Python {version} to compile it from a syntax tree "
            f"({type(error).__name__}: {error})")


def _warn_unrewritten(path: str, problem: str) -> None:
    import warnings

    warnings.warn_explicit(
        f"tracers: {problem}; its probe statements run as written (the runtime fallback: arguments "
        f"evaluated, fired when tracing is on)", RuntimeWarning, path, 1)
