"""Which names each scope of a module binds, decided as the compiler decides.

The rewrite asks two questions of a probe site: is ``probe`` there surely
``tracers.probe`` at run time, and does the provider's name live in the
module's globals? Both are answered from the bindings recorded here. The walk
keeps its own stack, so a module nested as deeply as the compiler accepts is
analysed whatever Python's recursion limit is.
"""
from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

PROBE = "probe"  # bound by ``from tracers import probe [as name]``
MODULE = "module"  # bound by ``import tracers[.sub]`` or ``import tracers as name``
OTHER = "other"  # any other binding
TYPING = "typing"  # an import under ``if TYPE_CHECKING:``, which never runs

_UNKNOWN_TIME = 0  # the line of a module binding made by a function (``global``)


def mangle(private: Optional[str], name: str) -> str:
    """``__name`` as the compiler spells it inside class ``private`` (``_Class__name``)."""
    if private is None or not name.startswith("__") or name.endswith("__") or "." in name:
        return name
    stripped = private.lstrip("_")
    return f"_{stripped}{name}" if stripped else name


class Scope:
    """The names one namespace binds."""

    __slots__ = ("kind", "parent", "module", "private", "bindings", "declared_global", "declared_nonlocal",
                 "star_line", "first_line")

    def __init__(self, kind: str, parent: Optional[Scope], private: Optional[str]) -> None:
        self.kind = kind  # "module", "class", "function" or "comprehension"
        self.parent = parent
        self.module: Scope = parent.module if parent else self
        self.private = private  # the innermost enclosing class's name: names are mangled with it
        self.bindings: Dict[str, List[str]] = {}
        self.declared_global: Set[str] = set()
        self.declared_nonlocal: Set[str] = set()
        self.star_line = 0  # module scope: the last line with ``from x import *``
        self.first_line: Dict[str, int] = {}  # module scope: the first line binding each name

    def mangle(self, name: str) -> str:
        return mangle(self.private, name)

    def bind(self, name: str, kind: str, line: int) -> None:
        """Record a binding of ``name`` as written here (mangled in a class)."""
        if self.private is not None:
            name = mangle(self.private, name)
        kinds = self.bindings.get(name)
        if kinds is None:
            self.bindings[name] = [kind]
        else:
            kinds.append(kind)
        if self.kind == "module":
            first = self.first_line.get(name)
            if first is None or line < first:
                self.first_line[name] = line

    def enclosing(self) -> Scope:
        """The next scope out whose names are visible here (class bodies are not)."""
        scope = self.parent
        assert scope is not None
        while scope.kind == "class":
            scope = scope.parent
            assert scope is not None
        return scope

    def resolve(self, name: str) -> Scope:
        """The scope whose binding of ``name`` (already mangled) a load here would see."""
        scope = self
        while scope is not self.module and name not in scope.declared_global:
            if name in scope.bindings:
                return scope
            scope = scope.enclosing()
        return self.module

    def surely_bound_to(self, name: str, kind: str) -> bool:
        """Whether ``name`` (mangled), loaded here, is at run time always a binding of ``kind``."""
        scope = self.resolve(name)
        if not _only(scope.bindings.get(name), kind):
            return False
        if scope is self.module:
            return self.module._not_replaced_by_star_import(name)
        if scope is self and self.kind == "class":
            # A class body looks its names up when it runs: before its own
            # binding has run, the load sees the module's global instead.
            module = self.module
            return _only(module.bindings.get(name), kind) and module._not_replaced_by_star_import(name)
        return True

    def bound_at_run_time(self, name: str) -> bool:
        """Module scope: whether ``name`` may be bound when the module runs."""
        if self.star_line:
            return True  # a star import may bind it
        return any(kind != TYPING for kind in self.bindings.get(name, ()))

    def _not_replaced_by_star_import(self, name: str) -> bool:
        """A star import after a binding may rebind the name to anything.

        One on the same line counts as before it: tools that transform the
        tree (beartype.claw) insert their own star import at the first line.
        """
        return not self.star_line or self.star_line <= self.first_line.get(name, _UNKNOWN_TIME)

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
            if target.kind == "module":
                target.first_line[name] = _UNKNOWN_TIME  # bound whenever the function runs


def _only(kinds: Optional[List[str]], kind: str) -> bool:
    return kinds is not None and len(kinds) > 0 and all(found == kind for found in kinds)


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``: false whenever the module runs."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


_Work = List[Tuple[ast.AST, Scope, bool]]  # node, the scope it runs in, under ``if TYPE_CHECKING:``

_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _push_children(node: ast.AST, scope: Scope, typing: bool, work: _Work) -> None:
    cls = type(node)
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(field for field in cls._fields if field != "ctx")
    for field in fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    work.append((item, scope, typing))
        elif isinstance(value, ast.AST):
            work.append((value, scope, typing))


def build_scopes(module: ast.Module) -> Dict[ast.AST, Scope]:
    """The scope of the module and of every function and class in it, keyed by node."""
    return _ScopeBuilder(module).scopes


class _ScopeBuilder:
    """Records every name binding of a module, scope by scope, with an explicit stack."""

    def __init__(self, module: ast.Module) -> None:
        root = Scope("module", None, None)
        self.scopes: Dict[ast.AST, Scope] = {module: root}
        self._created = [root]
        self._work: _Work = [(stmt, root, False) for stmt in module.body]
        handlers = {
            ast.FunctionDef: self._function, ast.AsyncFunctionDef: self._function, ast.Lambda: self._lambda,
            ast.ClassDef: self._class, ast.ListComp: self._comprehension, ast.SetComp: self._comprehension,
            ast.GeneratorExp: self._comprehension, ast.DictComp: self._comprehension,
            ast.NamedExpr: self._named_expr, ast.Import: self._import, ast.ImportFrom: self._import_from,
            ast.Global: self._global, ast.Nonlocal: self._nonlocal, ast.ExceptHandler: self._except_handler,
            ast.If: self._if,
        }
        for name in ("MatchAs", "MatchStar", "MatchMapping"):  # 3.10+
            if hasattr(ast, name):
                handlers[getattr(ast, name)] = self._match_capture
        work, name_type, load_type = self._work, ast.Name, ast.Load
        while work:
            node, scope, typing = work.pop()
            cls = type(node)
            if cls is name_type:
                if type(node.ctx) is not load_type:  # type: ignore[attr-defined]
                    scope.bind(node.id, OTHER, node.lineno)  # type: ignore[attr-defined]
                continue
            handler = handlers.get(cls)
            if handler is None:
                _push_children(node, scope, typing, work)
            else:
                handler(node, scope, typing)
        for scope in self._created:  # outer scopes first, so nonlocal targets are settled
            scope.settle_declarations()

    def _new_scope(self, kind: str, parent: Scope, private: Optional[str], owner: Optional[ast.AST] = None) -> Scope:
        scope = Scope(kind, parent, private)
        self._created.append(scope)
        if owner is not None:
            self.scopes[owner] = scope
        return scope

    def _push(self, nodes: object, scope: Scope, typing: bool) -> None:
        if isinstance(nodes, ast.AST):
            self._work.append((nodes, scope, typing))
        elif isinstance(nodes, list):
            self._work.extend((node, scope, typing) for node in nodes if isinstance(node, ast.AST))

    def _type_params(self, node: ast.AST, scope: Scope, typing: bool, private: Optional[str]) -> Scope:
        """Type parameters (3.12+) live in a function-like scope around the definition."""
        params = getattr(node, "type_params", None)
        if not params:
            return scope
        inner = self._new_scope("function", scope, private)
        for param in params:
            inner.bind(param.name, OTHER, param.lineno)
            _push_children(param, inner, typing, self._work)
        return inner

    @staticmethod
    def _bind_arguments(args: ast.arguments, scope: Scope, line: int) -> None:
        for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if arg is not None:
                scope.bind(arg.arg, OTHER, line)

    def _function(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        scope.bind(node.name, OTHER, node.lineno)
        self._push(node.decorator_list, scope, typing)
        outer = self._type_params(node, scope, typing, scope.private)
        self._push(node.args, outer, typing)  # defaults and annotations are evaluated outside
        self._push(node.returns, outer, typing)
        body = self._new_scope("function", outer, scope.private, node)
        self._bind_arguments(node.args, body, node.lineno)
        self._push(node.body, body, typing)

    def _lambda(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.Lambda)
        self._push(node.args, scope, typing)
        body = self._new_scope("function", scope, scope.private)
        self._bind_arguments(node.args, body, node.lineno)
        self._push(node.body, body, typing)

    def _class(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.ClassDef)
        scope.bind(node.name, OTHER, node.lineno)
        self._push(node.decorator_list, scope, typing)
        outer = self._type_params(node, scope, typing, node.name)
        self._push(node.bases, outer, typing)
        self._push(node.keywords, outer, typing)
        body = self._new_scope("class", outer, node.name, node)
        self._push(node.body, body, typing)

    def _comprehension(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        generators: List[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        first, rest = generators[0], generators[1:]
        self._push(first.iter, scope, typing)  # the outermost iterable is evaluated outside
        inner = self._new_scope("comprehension", scope, scope.private)
        self._push(first.target, inner, typing)
        self._push(first.ifs, inner, typing)
        self._push(rest, inner, typing)
        for field in ("elt", "key", "value"):
            self._push(getattr(node, field, None), inner, typing)

    def _named_expr(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.NamedExpr)
        target = scope
        while target.kind == "comprehension":  # a walrus binds outside comprehensions
            assert target.parent is not None
            target = target.parent
        target.bind(node.target.id, OTHER, node.lineno)
        self._push(node.value, scope, typing)

    def _import(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.Import)
        for alias in node.names:
            if alias.asname is None:  # ``import a.b.c`` binds ``a`` to module ``a``
                name = alias.name.partition(".")[0]
                kind = MODULE if name == "tracers" else OTHER
            else:
                name = alias.asname
                kind = MODULE if alias.name == "tracers" else OTHER
            scope.bind(name, TYPING if typing else kind, node.lineno)

    def _import_from(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.ImportFrom)
        from_tracers = node.module == "tracers" and node.level == 0
        for alias in node.names:
            if alias.name == "*":  # binds names unknown without importing
                if not typing and scope.kind == "module":
                    scope.star_line = max(scope.star_line, node.lineno)
                continue
            kind = PROBE if from_tracers and alias.name == "probe" else OTHER
            scope.bind(alias.asname or alias.name, TYPING if typing else kind, node.lineno)

    def _global(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.Global)
        scope.declared_global.update(scope.mangle(name) for name in node.names)

    def _nonlocal(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.Nonlocal)
        scope.declared_nonlocal.update(scope.mangle(name) for name in node.names)

    def _except_handler(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.ExceptHandler)
        if node.name:
            scope.bind(node.name, OTHER, node.lineno)
        _push_children(node, scope, typing, self._work)

    def _match_capture(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        """Pattern captures (3.10+): ``case x``, ``case [*x]``, ``case {**x}``."""
        captured = getattr(node, "name", None) or getattr(node, "rest", None)
        if captured:
            scope.bind(captured, OTHER, node.lineno)  # type: ignore[attr-defined]
        _push_children(node, scope, typing, self._work)

    def _if(self, node: ast.AST, scope: Scope, typing: bool) -> None:
        assert isinstance(node, ast.If)
        self._push(node.test, scope, typing)
        self._push(node.body, scope, typing or _is_type_checking(node.test))
        self._push(node.orelse, scope, typing)
