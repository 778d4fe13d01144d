"""Rewrite ``probe(Provider.event(...))`` statements in a module's syntax tree.

With tracing off every probe statement is deleted, so a disabled probe costs
nothing at all. With tracing on each one becomes ``if <gate>: <event>.fire(...)``
so that the arguments are only evaluated while somebody is listening.

A statement is a probe site only where the rewrite is sure that ``probe`` is
``tracers.probe`` when it runs; anything else is left as written and behaves
as plain Python. Every walk keeps its own stack: a module nested as deeply as
the compiler accepts is rewritten whatever Python's recursion limit is.
"""
from __future__ import annotations

import ast
import copy
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple, TypeVar, cast

from .._errors import ProbeSyntaxError
from ._refused import refusal
from ._scopes import MODULE, PROBE, Scope, build_scopes, mangle

_GATE_CLASS = "_tracers_LazyGate"
_EVENT = "_tracers_event"  # a function's hidden local holding the event between its gate and its fire

_N = TypeVar("_N", bound=ast.AST)

_SCOPE_OWNERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# Nodes that hold statement lists without being statements themselves.
_BLOCK_HOLDERS = tuple(getattr(ast, name) for name in ("excepthandler", "match_case") if hasattr(ast, name))
_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})

# What a probe site becomes.
_GLOBAL = "global"  # the provider is a module global: a module-level gate
_LOCAL = "local"  # a function's local or closure: the event held in a hidden local
_CLASS = "class"  # a name a class body looks up as it runs: the event chain written twice
_UNDEFINED = "undefined"  # the provider's global is never bound: kept when on, deleted when off


def uses_probe(source: bytes) -> bool:
    """Tell whether ``source`` might contain a probe site, without parsing it."""
    return b"tracers" in source and b"probe" in source


class RewriteResult(NamedTuple):
    """The rewritten module, and how many probe statements it differs by."""

    tree: ast.Module
    sites: int  # probe statements rewritten (enabled) or deleted (disabled)


def rewrite(tree: ast.Module, *, enabled: bool) -> RewriteResult:
    """Return a rewritten version of ``tree`` without modifying it.

    Only the nodes on the way to a probe site are copied; everything else is
    shared with the input, so neither tree should be mutated afterwards.
    Raises :class:`~tracers.ProbeSyntaxError` (without a file name) for a
    probe argument whose effect would reach outside the probe.
    """
    rewriter = _Rewriter(tree, enabled)
    module = rewriter.rewritten()
    if rewriter.gates:
        rewriter.insert_prologue(module)
    return RewriteResult(module, rewriter.sites)


class _Shape(NamedTuple):
    """A statement shaped like ``name(a.b(...))`` or ``name.probe(a.b(...))``."""

    name: str  # is a probe site if every binding of this name it sees is ...
    binding: str  # ... of this kind
    event: ast.Call  # the ``a.b(...)`` call
    chain: List[str]  # ["a", "b"]


class _Site(NamedTuple):
    form: str  # _GLOBAL, _LOCAL, _CLASS or _UNDEFINED
    shape: _Shape
    chain: List[str]  # mangled as the compiler spells it in this scope


def _dotted_parts(node: ast.expr) -> Optional[List[str]]:
    """``a.b.c`` -> ``["a", "b", "c"]``; None unless a name followed by attributes."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not parts or not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _probe_shape(stmt: ast.stmt) -> Optional[_Shape]:
    if not isinstance(stmt, ast.Expr):
        return None
    call = stmt.value
    if not isinstance(call, ast.Call) or len(call.args) != 1 or call.keywords:
        return None
    event = call.args[0]
    if not isinstance(event, ast.Call):
        return None
    chain = _dotted_parts(event.func)
    if chain is None:
        return None
    func = call.func
    if isinstance(func, ast.Name):
        return _Shape(func.id, PROBE, event, chain)
    if isinstance(func, ast.Attribute) and func.attr == "probe" and isinstance(func.value, ast.Name):
        return _Shape(func.value.id, MODULE, event, chain)
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_future_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _block_fields(node: ast.AST) -> List[Tuple[str, List[ast.AST]]]:
    """The non-empty statement (or handler, or case) lists directly inside ``node``."""
    return [(field, value) for field in node._fields if field in _BLOCK_FIELDS
            for value in (getattr(node, field, None),) if isinstance(value, list) and value]


def _end_of_last_block(node: ast.AST) -> Optional[Tuple[int, int]]:
    """Where the last statement of ``node``'s last block ends (blocks come in source order)."""
    while True:
        blocks = _block_fields(node)
        if not blocks:
            return None
        last = blocks[-1][1][-1]
        end_lineno, end_col_offset = getattr(last, "end_lineno", None), getattr(last, "end_col_offset", None)
        if end_lineno is not None and end_col_offset is not None:
            return end_lineno, end_col_offset
        node = last  # match_case has no position of its own


class _Rewriter:
    """Find the module's probe sites, then copy the statements on the way to them."""

    def __init__(self, module: ast.Module, enabled: bool) -> None:
        self.module = module
        self.enabled = enabled
        self.sites = 0
        self.gates: Dict[Tuple[str, ...], str] = {}  # global chain -> gate name
        self._scopes: Optional[Dict[ast.AST, Scope]] = None

    def _scope_of(self, owner: ast.AST) -> Scope:
        """Scopes are built on first use: most modules have nothing shaped like a probe."""
        if self._scopes is None:
            self._scopes = build_scopes(self.module)
        return self._scopes[owner]

    def rewritten(self) -> ast.Module:
        found, parents = self._find_sites()
        self._refuse_constructs(found)
        if self.enabled:  # an undefined provider's statement runs as written
            found = {stmt: site for stmt, site in found.items() if site.form != _UNDEFINED}
            for stmt in sorted(found, key=lambda stmt: (stmt.lineno, stmt.col_offset)):
                if found[stmt].form == _GLOBAL:
                    self._gate_name(found[stmt].chain)  # gates are numbered in source order
        # Copy every node on the way to a site, the innermost first.
        on_the_way: Dict[ast.AST, int] = {}
        for stmt in found:
            node = parents[stmt][0]
            while node is not None and node not in on_the_way:
                parent, depth = parents[node]
                on_the_way[node] = depth
                node = parent
        replaced: Dict[ast.AST, ast.AST] = {}
        for node in sorted(on_the_way, key=on_the_way.__getitem__, reverse=True):
            replaced[node] = self._copy_with_blocks(node, found, replaced)
        module = replaced.get(self.module)
        if module is None:
            module = copy.copy(self.module)
            module.body = list(self.module.body)
        assert isinstance(module, ast.Module)
        return module

    def _find_sites(self) -> Tuple[Dict[ast.stmt, _Site], Dict[ast.AST, Tuple[Optional[ast.AST], int]]]:
        """Every probe site, and the parent and depth of each node that holds statements."""
        sites: Dict[ast.stmt, _Site] = {}
        parents: Dict[ast.AST, Tuple[Optional[ast.AST], int]] = {self.module: (None, 0)}
        work: List[Tuple[ast.AST, ast.AST, int]] = [(self.module, self.module, 0)]  # node, owner of its scope
        while work:
            holder, owner, depth = work.pop()
            for _field, block in _block_fields(holder):
                for node in block:
                    if isinstance(node, ast.Expr):
                        shape = _probe_shape(node)
                        site = self._site(shape, owner) if shape is not None else None
                        if site is not None:
                            sites[node] = site
                            parents[node] = (holder, depth + 1)
                    elif _block_fields(node):
                        parents[node] = (holder, depth + 1)
                        work.append((node, node if isinstance(node, _SCOPE_OWNERS) else owner, depth + 1))
        return sites, parents

    def _site(self, shape: _Shape, owner: ast.AST) -> Optional[_Site]:
        scope = self._scope_of(owner)
        if not scope.surely_bound_to(scope.mangle(shape.name), shape.binding):
            return None
        chain = [mangle(scope.private, part) for part in shape.chain]
        head = scope.resolve(chain[0])
        if head is scope.module:
            form = _GLOBAL if scope.module.bound_at_run_time(chain[0]) else _UNDEFINED
        else:
            form = _CLASS if scope.kind == "class" else _LOCAL
        return _Site(form, shape, chain)

    @staticmethod
    def _refuse_constructs(sites: Dict[ast.stmt, _Site]) -> None:
        refused = [found for found in (refusal(site.shape.event) for site in sites.values()) if found]
        if not refused:
            return
        node, message = min(refused, key=lambda item: (item[0].lineno, item[0].col_offset))
        error = ProbeSyntaxError(message)
        error.lineno, error.offset = node.lineno, node.col_offset + 1  # 1-based, in bytes until located
        setattr(error, "end_lineno", node.end_lineno)  # noqa: B010 - attributes of SyntaxError from 3.10 on
        setattr(error, "end_offset", (node.end_col_offset or 0) + 1)  # noqa: B010
        raise error

    def _copy_with_blocks(self, node: ast.AST, sites: Dict[ast.stmt, _Site],
                          replaced: Dict[ast.AST, ast.AST]) -> ast.AST:
        """A shallow copy of ``node`` whose statement lists have their sites replaced."""
        clone = copy.copy(node)
        for field, block in _block_fields(node):
            if isinstance(block[0], ast.stmt):
                setattr(clone, field, self._block(cast(List[ast.stmt], block), sites, replaced))
            else:
                setattr(clone, field, [replaced.get(child, child) for child in block])
        end = _end_of_last_block(clone)
        if end is not None and getattr(clone, "end_lineno", None) is not None:
            # A deleted last statement no longer ends this one: end where blanking it would.
            setattr(clone, "end_lineno", end[0])  # noqa: B010 - a generic node, typed without positions
            setattr(clone, "end_col_offset", end[1])  # noqa: B010
        return clone

    def _block(self, stmts: List[ast.stmt], sites: Dict[ast.stmt, _Site],
               replaced: Dict[ast.AST, ast.AST]) -> List[ast.stmt]:
        out: List[ast.stmt] = []
        for stmt in stmts:
            site = sites.get(stmt)
            if site is None:
                out.append(replaced.get(stmt, stmt))  # type: ignore[arg-type]
                continue
            self.sites += 1
            if self.enabled:
                out.append(self._guard(stmt, site))
        if not out:  # every statement was a deleted probe
            out.append(ast.copy_location(ast.Pass(), stmts[0]))
        return out

    def _guard(self, stmt: ast.stmt, site: _Site) -> ast.If:
        """``if <gate>: <event>.fire(<args>)``, attributed to the statement's first line."""
        assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
        event = site.shape.event

        def spanning(node: _N) -> _N:  # the statement's whole span, as the call it replaces
            return ast.copy_location(node, stmt)

        first_line = _first_line_of(stmt)
        event_func: ast.expr = event.func
        test: ast.expr
        if site.form == _GLOBAL:
            test = first_line(ast.Name(self._gate_name(site.chain), ast.Load()))
        elif site.form == _CLASS:  # a class body has no local of its own to hold the event
            test = first_line(ast.Attribute(_dotted_expr(site.shape.chain, first_line), "gate", ast.Load()))
        else:
            held = first_line(ast.NamedExpr(first_line(ast.Name(_EVENT, ast.Store())), event.func))
            test = first_line(ast.Attribute(held, "gate", ast.Load()))
            event_func = first_line(ast.Name(_EVENT, ast.Load()))
        body: ast.expr
        if event.keywords or any(isinstance(arg, ast.Starred) for arg in event.args):
            # Keep the general call form (ProbeCall binds keywords); only guard it.
            inner = copy.copy(event)
            inner.func = event_func
            body = copy.copy(stmt.value)
            body.args = [inner]
        else:
            fire = first_line(ast.Attribute(event_func, "fire", ast.Load()))
            body = spanning(ast.Call(fire, list(event.args), []))
        return spanning(ast.If(test, [spanning(ast.Expr(body))], []))

    def _gate_name(self, chain: List[str]) -> str:
        key = tuple(chain)
        if key not in self.gates:
            self.gates[key] = f"_tracers_gate_{len(self.gates)}_{'_'.join(chain)}"
        return self.gates[key]

    def insert_prologue(self, module: ast.Module) -> None:
        """Define the module's gates after its docstring and ``__future__`` imports."""
        body = module.body
        index = 1 if body and _is_docstring(body[0]) else 0
        while index < len(body) and _is_future_import(body[index]):
            index += 1
        prologue: List[ast.stmt] = [
            ast.ImportFrom("tracers._gate", [ast.alias("LazyGate", _GATE_CLASS)], 0)
        ]
        for chain, name in self.gates.items():
            gate = ast.Call(
                ast.Name(_GATE_CLASS, ast.Load()),
                [
                    ast.Call(ast.Name("globals", ast.Load()), [], []),
                    ast.Constant(name),
                    ast.Tuple([ast.Constant(part) for part in chain], ast.Load()),
                ],
                [],
            )
            prologue.append(ast.Assign([ast.Name(name, ast.Store())], gate))
        for node in prologue:
            if index < len(body):
                ast.copy_location(node, body[index])
            ast.fix_missing_locations(node)  # line 1 when nothing follows
        body[index:index] = prologue


def _first_line_of(stmt: ast.stmt) -> Callable[[_N], _N]:
    """Locate a new node on the statement's first line only.

    Python attributes a method call to the line where its attribute ends: a
    guard or a ``.fire`` spanning the whole statement would be reported at its
    last line, where plain Python reports the ``probe(...)`` call at its first.
    """
    line, column = stmt.lineno, stmt.col_offset
    if stmt.end_lineno == line:
        end = stmt.end_col_offset
    else:
        callee = stmt.value.func  # type: ignore[attr-defined]
        end = callee.end_col_offset if callee.end_lineno == line else column

    def located(node: _N) -> _N:
        node.lineno, node.col_offset = line, column  # type: ignore[attr-defined]
        node.end_lineno, node.end_col_offset = line, end  # type: ignore[attr-defined]
        return node

    return located


def _dotted_expr(parts: List[str], located: Callable[[ast.expr], ast.expr]) -> ast.expr:
    node = located(ast.Name(parts[0], ast.Load()))
    for attr in parts[1:]:
        node = located(ast.Attribute(node, attr, ast.Load()))
    return node
