"""Constructs refused in probe arguments, because their effect reaches outside the probe.

A probe statement is deleted when tracing is off, and its arguments are
evaluated only while a tracer listens when it is on. That is harmless for
values, but not for these constructs, which would change the program with
the tracing mode:

- ``yield`` and ``yield from``: a function whose only ``yield`` is in a probe
  would be a generator with tracing on and a plain function with it off, and
  any generator would yield different values;
- ``await``, and ``async for`` in a list, set or dict comprehension (which
  awaits): the coroutine would suspend there only while a tracer listens;
- ``:=``: the name would be bound only while a tracer listens, and unbound
  (``UnboundLocalError``) with tracing off.

In a ``lambda`` body they belong to the lambda and are allowed; in a
generator expression, which runs later, only ``:=`` (which binds in the
enclosing function) reaches outside.
"""
from __future__ import annotations

import ast
from typing import List, Optional, Tuple

_YIELD = ("a probe argument cannot contain '{}': with tracing off the probe statement is deleted, so whether "
          "this function is a generator, and what it yields, would depend on the tracing mode; "
          "yield before the probe statement and pass the value to the probe")
_AWAIT = ("a probe argument cannot contain '{}': the coroutine would suspend here only while tracing is on; "
          "{} before the probe statement and pass the result to the probe")
_WALRUS = ("a probe argument cannot contain ':=': the name would be bound only while tracing is on, and "
           "unbound when it is off; assign it before the probe statement")

_ASYNC_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp)


def refusal(event: ast.Call) -> Optional[Tuple[ast.expr, str]]:
    """The first construct in ``event``'s arguments (source order) that is refused, and why."""
    found: List[Tuple[ast.expr, str]] = []
    # (node, evaluated with the probe rather than later by a generator expression)
    work: List[Tuple[ast.AST, bool]] = [(arg, True) for arg in event.args]
    work += [(keyword.value, True) for keyword in event.keywords]
    while work:
        node, eager = work.pop()
        reason = _reason(node, eager)
        if reason is not None:
            found.append((node, reason))  # type: ignore[arg-type]
        elif isinstance(node, ast.Lambda):
            arguments = node.args  # the defaults are evaluated here, the body later in its own scope
            work += [(default, eager) for default in arguments.defaults + arguments.kw_defaults if default]
        elif isinstance(node, ast.GeneratorExp):
            first = node.generators[0]
            work.append((first.iter, eager))  # the outermost iterable is evaluated here
            later: List[ast.AST] = [first.target, *first.ifs, *node.generators[1:], node.elt]
            work += [(child, False) for child in later]
        else:
            work += [(child, eager) for child in ast.iter_child_nodes(node)]
    if not found:
        return None
    return min(found, key=lambda item: (item[0].lineno, item[0].col_offset))


def _reason(node: ast.AST, eager: bool) -> Optional[str]:
    if isinstance(node, ast.NamedExpr):
        return _WALRUS
    if not eager:
        return None
    if isinstance(node, ast.Yield):
        return _YIELD.format("yield")
    if isinstance(node, ast.YieldFrom):
        return _YIELD.format("yield from")
    if isinstance(node, ast.Await):
        return _AWAIT.format("await", "await")
    if isinstance(node, _ASYNC_COMPREHENSIONS) and any(generator.is_async for generator in node.generators):
        return _AWAIT.format("async for", "build the value")
    return None
