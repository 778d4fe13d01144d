"""Rewrite ``probe(Provider.event(...))`` statements in a module's syntax tree.

With tracing off every probe statement is deleted, so a disabled probe costs
nothing at all. With tracing on each one becomes ``if <gate>: <event>.fire(...)``
so that the arguments are only evaluated while somebody is listening.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import NamedTuple, TypeVar

_PROBE = "probe"  # bound by ``from tracers import probe [as name]``
_MODULE = "module"  # bound by ``import tracers[.sub]`` or ``import tracers as name``
_OTHER = "other"  # any other binding

_GATE_CLASS = "_tracers_LazyGate"

_N = TypeVar("_N", bound=ast.AST)

_SCOPE_OWNERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

# Nodes that hold statement lists without being statements themselves.
_BLOCK_HOLDERS = tuple(getattr(ast, name) for name in ("excepthandler", "match_case") if hasattr(ast, name))


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
    """
    rewriter = _Rewriter(tree, enabled)
    module = copy.copy(tree)
    module.body = rewriter.block(tree.body, tree)
    if rewriter.gates:
        rewriter.insert_prologue(module)
    return RewriteResult(module, rewriter.sites)


class _Scope:
    """The names one namespace binds, as the compiler decides where names live."""

    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind = kind  # "module", "class", "function" or "comprehension"
        self.parent = parent
        self.module: _Scope = parent.module if parent else self
        self.bindings: dict[str, list[str]] = {}
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()

    def enclosing(self) -> _Scope:
        """The next scope out whose names are visible here (class bodies are not)."""
        scope = self.parent
        assert scope is not None
        while scope.kind == "class":
            scope = scope.parent
            assert scope is not None
        return scope

    def resolve(self, name: str) -> _Scope:
        """The scope whose binding of ``name`` a load here would see."""
        scope = self
        while scope is not self.module and name not in scope.declared_global:
            if name in scope.bindings:
                return scope
            scope = scope.enclosing()
        return self.module

    def bound_only_to(self, name: str, kind: str) -> bool:
        kinds = self.resolve(name).bindings.get(name, [])
        return bool(kinds) and all(found == kind for found in kinds)

    def settle_declarations(self) -> None:
        """Move bindings of ``global``/``nonlocal`` names to the scope they rebind."""
        for name in list(self.bindings):
            if name in self.declared_global:
                target = self.module
            elif name in self.declared_nonlocal and self.parent is not None:
                target = self.enclosing().resolve(name)
            else:  # module-level ``nonlocal`` is left for the compiler to reject
                continue
            kinds = self.bindings.pop(name)
            target.bindings.setdefault(name, []).extend(kinds)


class _ScopeBuilder(ast.NodeVisitor):
    """Record every name binding of a module, scope by scope."""

    def __init__(self, module: ast.Module) -> None:
        self.scope = _Scope("module", None)
        self.scopes: dict[ast.AST, _Scope] = {module: self.scope}
        self._created = [self.scope]
        self.generic_visit(module)
        for scope in self._created:  # outer scopes first, so nonlocal targets are settled
            scope.settle_declarations()

    @contextmanager
    def _new_scope(self, kind: str, owner: ast.AST | None = None) -> Iterator[None]:
        outer = self.scope
        self.scope = _Scope(kind, outer)
        self._created.append(self.scope)
        if owner is not None:
            self.scopes[owner] = self.scope
        try:
            yield
        finally:
            self.scope = outer

    @contextmanager
    def _type_params(self, node: ast.AST) -> Iterator[None]:
        """Type parameters (3.12+) live in a function-like scope around the definition."""
        params = getattr(node, "type_params", None)
        if not params:
            yield
            return
        with self._new_scope("function"):
            for param in params:
                self._bind(param.name)
                self.generic_visit(param)
            yield

    def _bind(self, name: str, kind: str = _OTHER, scope: _Scope | None = None) -> None:
        (scope or self.scope).bindings.setdefault(name, []).append(kind)

    def _bind_arguments(self, args: ast.arguments) -> None:
        for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if arg is not None:
                self._bind(arg.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._bind(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        with self._type_params(node):
            self.visit(node.args)  # defaults and annotations are evaluated outside
            if node.returns is not None:
                self.visit(node.returns)
            with self._new_scope("function", node):
                self._bind_arguments(node.args)
                for stmt in node.body:
                    self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        with self._new_scope("function"):
            self._bind_arguments(node.args)
            self.visit(node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        with self._type_params(node):
            for base in node.bases + node.keywords:
                self.visit(base)
            with self._new_scope("class", node):
                for stmt in node.body:
                    self.visit(stmt)

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # the outermost iterable is evaluated outside
        with self._new_scope("comprehension"):
            self.visit(first.target)
            for condition in first.ifs:
                self.visit(condition)
            for generator in rest:
                self.visit(generator)
            for field in ("elt", "key", "value"):
                child = getattr(node, field, None)
                if child is not None:
                    self.visit(child)

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        scope = self.scope
        while scope.kind == "comprehension":  # a walrus binds outside comprehensions
            assert scope.parent is not None
            scope = scope.parent
        self._bind(node.target.id, scope=scope)
        self.visit(node.value)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._bind(node.id)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname is None:  # ``import a.b.c`` binds ``a`` to module ``a``
                name = alias.name.partition(".")[0]
                self._bind(name, _MODULE if name == "tracers" else _OTHER)
            else:
                self._bind(alias.asname, _MODULE if alias.name == "tracers" else _OTHER)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        from_tracers = node.module == "tracers" and node.level == 0
        for alias in node.names:
            if alias.name == "*":  # names unknown without importing; not tracked
                continue
            kind = _PROBE if from_tracers and alias.name == "probe" else _OTHER
            self._bind(alias.asname or alias.name, kind)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.declared_global.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.declared_nonlocal.update(node.names)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.AST) -> None:
        """Pattern captures (3.10+): ``case x``, ``case [*x]``, ``case {**x}``."""
        captured = getattr(node, "name", None) or getattr(node, "rest", None)
        if captured:
            self._bind(captured)
        self.generic_visit(node)

    visit_MatchStar = visit_MatchMapping = visit_MatchAs


def _dotted_parts(node: ast.expr) -> list[str] | None:
    """``a.b.c`` -> ``["a", "b", "c"]``; None unless a name followed by attributes."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not parts or not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _dotted_expr(parts: list[str], located: Callable[[ast.expr], ast.expr]) -> ast.expr:
    node = located(ast.Name(parts[0], ast.Load()))
    for attr in parts[1:]:
        node = located(ast.Attribute(node, attr, ast.Load()))
    return node


class _Shape(NamedTuple):
    """A statement shaped like ``name(a.b(...))`` or ``name.probe(a.b(...))``."""

    name: str  # is a probe site if every binding of this name it sees is ...
    binding: str  # ... of this kind
    event: ast.Call  # the ``a.b(...)`` call
    chain: list[str]  # ["a", "b"]


def _probe_shape(stmt: ast.stmt) -> _Shape | None:
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
        return _Shape(func.id, _PROBE, event, chain)
    if isinstance(func, ast.Attribute) and func.attr == "probe" and isinstance(func.value, ast.Name):
        return _Shape(func.value.id, _MODULE, event, chain)
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_future_import(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _end_of_last_block(node: object) -> tuple[int, int] | None:
    """Where the last statement of ``node``'s last block ends (blocks come in source order)."""
    for field in reversed(getattr(node, "_fields", ())):
        value = getattr(node, field, None)
        if isinstance(value, list) and value and isinstance(value[-1], (ast.stmt, *_BLOCK_HOLDERS)):
            last = value[-1]
            end_lineno, end_col_offset = getattr(last, "end_lineno", None), getattr(last, "end_col_offset", None)
            if end_lineno is None or end_col_offset is None:  # match_case has no position of its own
                return _end_of_last_block(last)
            return end_lineno, end_col_offset
    return None


class _Rewriter:
    """Replace or delete probe sites, statement list by statement list."""

    def __init__(self, module: ast.Module, enabled: bool) -> None:
        self.module = module
        self.enabled = enabled
        self.sites = 0
        self.gates: dict[tuple[str, ...], str] = {}  # global chain -> gate name

    @cached_property
    def scopes(self) -> dict[ast.AST, _Scope]:
        """Built on first use: most modules have nothing shaped like a probe."""
        return _ScopeBuilder(self.module).scopes

    def block(self, stmts: list[ast.stmt], owner: ast.AST) -> list[ast.stmt]:
        """A new statement list with this list's probe sites replaced or deleted.

        ``owner`` is the module, function or class whose scope the statements run in.
        """
        out: list[ast.stmt] = []
        for stmt in stmts:
            shape = _probe_shape(stmt)
            if shape is not None:
                scope = self.scopes[owner]
                if scope.bound_only_to(shape.name, shape.binding):
                    self.sites += 1
                    if self.enabled:
                        out.append(self._guard(stmt, shape, scope))
                    continue
            out.append(self._descend(stmt, owner))
        if stmts and not out:  # every statement was a deleted probe
            out.append(ast.copy_location(ast.Pass(), stmts[0]))
        return out

    def _descend(self, node: _N, owner: ast.AST) -> _N:
        """``node`` itself, or a shallow copy if a statement list inside it changed."""
        if isinstance(node, _SCOPE_OWNERS):
            owner = node
        changed = {}
        for field, value in ast.iter_fields(node):
            if not isinstance(value, list) or not value:
                continue
            if isinstance(value[0], ast.stmt):
                new = self.block(value, owner)
            elif isinstance(value[0], _BLOCK_HOLDERS):
                new = [self._descend(child, owner) for child in value]
            else:
                continue
            if len(new) != len(value) or any(a is not b for a, b in zip(new, value)):
                changed[field] = new
        if not changed:
            return node
        clone = copy.copy(node)
        for field, new in changed.items():
            setattr(clone, field, new)
        end = _end_of_last_block(clone)
        if end is not None and getattr(clone, "end_lineno", None) is not None:
            # A deleted last statement no longer ends this one: end where blanking it would.
            setattr(clone, "end_lineno", end[0])  # noqa: B010 - a generic node, typed without positions
            setattr(clone, "end_col_offset", end[1])  # noqa: B010
        return clone

    def _guard(self, stmt: ast.stmt, shape: _Shape, scope: _Scope) -> ast.If:
        def located(node: _N) -> _N:  # the input's own nodes keep their locations
            return ast.copy_location(node, stmt)

        event, chain = shape.event, shape.chain
        test: ast.expr
        if scope.resolve(chain[0]) is scope.module:
            test = located(ast.Name(self._gate_name(chain), ast.Load()))
        else:
            test = located(ast.Attribute(_dotted_expr(chain, located), "gate", ast.Load()))
        body: ast.stmt
        if event.keywords or any(isinstance(arg, ast.Starred) for arg in event.args):
            body = stmt  # keep the general call form; only guard it
        else:
            fire = located(ast.Attribute(event.func, "fire", ast.Load()))
            body = located(ast.Expr(located(ast.Call(fire, list(event.args), []))))
        return located(ast.If(test, [body], []))

    def _gate_name(self, chain: list[str]) -> str:
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
        prologue: list[ast.stmt] = [
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
