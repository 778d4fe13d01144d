"""Run a recursive function over a deeply nested syntax tree.

``compile()`` of a tree and ``ast.unparse`` recurse once or more per level of
the tree: the first stops at Python's recursion limit on 3.9-3.11, the second
on every version, well before the compiler's own limit on source text (a few
thousand levels of ``elif`` or ``a + a + ...``). When that happens the call is
repeated in a new thread whose stack and recursion limit fit the tree's depth.
"""
from __future__ import annotations

import ast
import sys
from typing import Callable, List, Optional, TypeVar

_T = TypeVar("_T")

_FRAMES_PER_LEVEL = 4  # ast.unparse uses about 3 Python frames per level of an expression
_STACK_PER_LEVEL = 8 * 1024  # bytes; measured needs are below 3 KiB per level
_BASE_STACK = 8 * 1024 * 1024
_BASE_FRAMES = 1000
_PARSER_MAX_LEVELS = 10_000  # the parser refuses deeper source ("too complex") on 3.9-3.13


def depth(tree: ast.AST) -> int:
    """How many levels of nodes ``tree`` has, counted level by level (no recursion)."""
    levels, level = 0, [tree]
    while level:
        levels += 1
        level = [child for node in level for child in ast.iter_child_nodes(node)]
    return levels


def call(function: Callable[[], _T], tree: Optional[ast.AST] = None) -> _T:
    """``function()``, which recurses over ``tree``; given room for its depth if it runs out.

    Without ``tree`` (``ast.parse``: the tree does not exist yet) the room is
    that of the deepest source the parser accepts. ``function`` must be safe
    to call twice. Errors, including the ``RecursionError`` of a tree too deep
    even so, are raised as the call raised them.
    """
    try:
        return function()
    except RecursionError as error:
        without_room = error
    try:
        return _in_roomy_thread(function, _PARSER_MAX_LEVELS if tree is None else depth(tree))
    except _NoRoom:
        pass
    raise without_room  # no thread could be started: the error as first raised


class _NoRoom(Exception):
    """A thread with room for the call could not be started."""


def _in_roomy_thread(function: Callable[[], _T], levels: int) -> _T:
    import threading

    outcome: List[object] = []

    def run() -> None:
        try:
            outcome.append(function())
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)

    frames = _BASE_FRAMES + _FRAMES_PER_LEVEL * levels
    previous_limit = sys.getrecursionlimit()
    if frames > previous_limit:
        sys.setrecursionlimit(frames)  # process-wide: restored as soon as the call ends
    previous_size = threading.stack_size()
    try:
        try:
            threading.stack_size(_BASE_STACK + _STACK_PER_LEVEL * levels)
            worker = threading.Thread(target=run, name="tracers-deep-tree", daemon=True)
            worker.start()
        except (RuntimeError, ValueError, MemoryError) as error:  # no threads, or no memory for the stack
            raise _NoRoom() from error
        finally:
            threading.stack_size(previous_size)
        worker.join()
    finally:
        if sys.getrecursionlimit() == frames > previous_limit:
            sys.setrecursionlimit(previous_limit)
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result.with_traceback(None)
    return result  # type: ignore[return-value]
